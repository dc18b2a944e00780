package io.github.oac.store;

import java.time.Duration;

/**
 * How many replicas must hold a write before the service relies on it, and how long to wait for them (Redis WAIT).
 * all: every replica the primary has at that moment (at least one), so whichever a failover promotes holds the write;
 * else a fixed count (chat.redis.replica-acks; 0: none, a single server). strict: too few in time fails the write's
 * caller (an admission: the callback answers 503 and WeChat delivers again); else the write stands all the same (a
 * turn's decision and its sent parts, written while answering: failing them would make a resumed turn send a part
 * again, the very thing the wait is for, and right after a failover the new primary's replicas are still attaching).
 */
public record ReplicaAcks(int replicas, Duration timeout, boolean all, boolean strict) {

    public static final ReplicaAcks NONE = new ReplicaAcks(0, Duration.ZERO, false, true);

    public static ReplicaAcks all(Duration timeout) {
        return new ReplicaAcks(1, timeout, true, true);
    }

    public static ReplicaAcks of(int replicas, Duration timeout) {
        return replicas <= 0 ? NONE : new ReplicaAcks(replicas, timeout, false, true);
    }

    /** The same wait, whose shortfall does not fail the write. */
    public ReplicaAcks bestEffort() {
        return new ReplicaAcks(replicas, timeout, all, false);
    }

    /** The replicas to wait for on a primary that has this many connected now. */
    int wanted(long connected) {
        return all ? (int) Math.max(1, connected) : replicas;
    }
}
