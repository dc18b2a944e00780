package io.github.oac.store;

import java.time.Duration;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;

/**
 * A write a turn must not lose once WeChat may have seen its effect (a part recorded as sent, a message's dead
 * letter): a Redis error is retried, pausing 100 ms and doubling up to 2 s, for as long as the turn's lease would
 * last, and thrown after that. Only for idempotent steps.
 */
final class WhileLeaseLasts {

    private static final Logger LOG = LoggerFactory.getLogger(WhileLeaseLasts.class);

    private WhileLeaseLasts() {
    }

    /** Runs step until it succeeds or the lease would have lapsed; what: for the log ("recording a sent answer"). */
    static <T> T retry(Duration lease, String what, Supplier<T> step) {
        long deadline = System.nanoTime() + lease.toNanos();
        for (long pause = 100; ; pause = Math.min(2000, pause * 2)) {
            try {
                return step.get();
            } catch (DataAccessException redisDown) {
                if (System.nanoTime() + pause * 1_000_000 > deadline) {
                    throw redisDown;
                }
                LOG.warn("Redis did not answer while {} ({}); trying again", what, redisDown.getMessage());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException stopping) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for Redis", stopping);
                }
            }
        }
    }
}
