package io.github.oac.store;

import java.time.Duration;

/**
 * How many replicas must hold a write before the service relies on it, and how long to wait for them (Redis WAIT).
 * all: every replica in sync with the primary at that moment, and at least one, so whichever a failover promotes holds
 * the write, and a primary left alone (one the sentinels or the cluster already replaced, still taking writes while
 * the clients learn of its successor) never confirms one; else a fixed count (chat.redis.replica-acks; 0: none, a
 * single server). timeout: one WAIT; patience: how long to keep waiting before the write's caller fails with
 * ReplicasBehindException (zero: one WAIT, for an admission, whose callback must be answered within WeChat's 5 s; a
 * turn waits for its lease, sending nothing meanwhile: a turn that went on from a write no replica holds could send
 * again after a failover what it had recorded as sent).
 */
public record ReplicaAcks(int replicas, Duration timeout, boolean all, Duration patience) {

    public static final ReplicaAcks NONE = new ReplicaAcks(0, Duration.ZERO, false, Duration.ZERO);

    public static ReplicaAcks all(Duration timeout) {
        return new ReplicaAcks(1, timeout, true, Duration.ZERO);
    }

    public static ReplicaAcks of(int replicas, Duration timeout) {
        return replicas <= 0 ? NONE : new ReplicaAcks(replicas, timeout, false, Duration.ZERO);
    }

    /** The same wait, repeated for this long before the write's caller fails. */
    public ReplicaAcks patient(Duration patience) {
        return new ReplicaAcks(replicas, timeout, all, patience);
    }

    /** The replicas to wait for on a primary that has this many in sync now. */
    int wanted(long inSync) {
        return all ? (int) Math.max(1, inSync) : replicas;
    }
}
