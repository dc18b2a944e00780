package io.github.oac.chat;

/** The model answered 2xx but with nothing usable in it. Not retried: the same request gives the same answer. */
public class ModelAnswerException extends RuntimeException {

    public ModelAnswerException(String reason) {
        super(reason, null, false, false);
    }
}
