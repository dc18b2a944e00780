package io.github.oac.chat;

/**
 * What a turn decided to send, and what that does to the conversation: a model's answer joins it ({@code question}
 * and {@code answer}, the latter as the model wrote it), a reset forgets it, anything else (an apology, the rest of
 * a long answer, nothing pending) leaves it as it is. model: the model call's answer (tokens, time), when there was
 * one. generated: the model wrote the text (an answer, or the rest of one): it carries the AI label. moderation: null
 * (passed), "question blocked" or "answer blocked". Two replies stand for no new text: {@link #RESUMED} (an earlier
 * attempt committed the text: what WeChat has not accepted of it goes out) and {@link #ENDED} (the message's delivery
 * is over: it only leaves the inbox).
 */
public record Reply(String text, String question, String answer, boolean forget, ModelAnswer model,
                    boolean generated, String moderation) {

    /** An earlier attempt committed the text: what WeChat has not accepted yet is sent. */
    public static final Reply RESUMED = new Reply(null, null, null, false, null, false, null);
    /** The message's delivery is over (a dead letter was recorded): nothing is sent. */
    public static final Reply ENDED = new Reply(null, null, null, false, null, false, null);

    public static final String QUESTION_BLOCKED = "question blocked";
    public static final String ANSWER_BLOCKED = "answer blocked";

    public static Reply of(String text) {
        return new Reply(text, null, null, false, null, false, null);
    }

    /** The rest of an earlier answer, written by the model. */
    public static Reply generated(String text) {
        return new Reply(text, null, null, false, null, true, null);
    }

    public static Reply forgetting(String text) {
        return new Reply(text, null, null, true, null, false, null);
    }

    public static Reply answer(String text, String question, ModelAnswer model) {
        return new Reply(text, question, model.text(), false, model, true, null);
    }

    /** A service text in place of what moderation blocked (QUESTION_BLOCKED, ANSWER_BLOCKED): never remembered. */
    public static Reply blocked(String text, String moderation) {
        return new Reply(text, null, null, false, null, false, moderation);
    }

    public boolean remembered() {
        return answer != null;
    }
}
