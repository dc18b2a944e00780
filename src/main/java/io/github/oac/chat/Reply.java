package io.github.oac.chat;

/**
 * What a turn decided to send, and what that does to the conversation: a model's answer joins it ({@code question}
 * and {@code answer}, the latter as the model wrote it), a reset forgets it, anything else (an apology, the rest of
 * a long answer, nothing pending) leaves it as it is. tokens: what the model call cost, when there was one.
 * generated: the model wrote the text (an answer, or the rest of one): it carries the AI label.
 */
public record Reply(String text, String question, String answer, boolean forget, ModelAnswer model,
                    boolean generated) {

    public static Reply of(String text) {
        return new Reply(text, null, null, false, null, false);
    }

    /** The rest of an earlier answer, written by the model. */
    public static Reply generated(String text) {
        return new Reply(text, null, null, false, null, true);
    }

    public static Reply forgetting(String text) {
        return new Reply(text, null, null, true, null, false);
    }

    public static Reply answer(String text, String question, ModelAnswer model) {
        return new Reply(text, question, model.text(), false, model, true);
    }

    public boolean remembered() {
        return answer != null;
    }
}
