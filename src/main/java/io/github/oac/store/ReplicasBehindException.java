package io.github.oac.store;

import org.springframework.dao.TransientDataAccessResourceException;

/**
 * Fewer replicas than chat.redis.replica-acks confirmed a write in time: it is on the primary, but a failover now
 * could lose it. A Redis failure like any other: the callback answers 503 (WeChat delivers again, and finds the message
 * admitted), a record of a sent part is tried again.
 */
public class ReplicasBehindException extends TransientDataAccessResourceException {

    public ReplicasBehindException(long confirmed, int wanted, java.time.Duration timeout) {
        super(confirmed + " of " + wanted + " replicas confirmed the write within " + timeout.toMillis() + " ms");
    }
}
