package io.github.oac.chat;

/**
 * The turn waits for the model instead of failing: the provider is over its limits (chat.model.limits), paused by a
 * Retry-After, or its circuit breaker is open and chat.breaker.when-open is "wait". The turn is put back, untouched,
 * and its follower is woken again after waitMillis (0: by the next recovery pass).
 */
public class ModelPausedException extends RuntimeException {

    private final long waitMillis;

    public ModelPausedException(String message) {
        this(message, 0);
    }

    public ModelPausedException(String message, long waitMillis) {
        super(message, null, false, false);
        this.waitMillis = Math.max(0, waitMillis);
    }

    /** How long the turn waits before it asks again; 0: until recovery wakes its follower. */
    public long waitMillis() {
        return waitMillis;
    }
}
