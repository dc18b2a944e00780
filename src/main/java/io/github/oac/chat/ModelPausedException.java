package io.github.oac.chat;

/**
 * The model's circuit breaker is open and chat.breaker.when-open is "wait": the turn is put back, untouched, to be
 * answered once the provider is back, instead of with the apology.
 */
public class ModelPausedException extends RuntimeException {

    public ModelPausedException(String message) {
        super(message, null, false, false);
    }
}
