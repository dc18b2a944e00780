package io.github.oac.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import redis.clients.jedis.util.JedisClusterCRC16;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.Follower;
import io.github.oac.wechat.InboundMessage;
import jakarta.annotation.PreDestroy;

/**
 * Each follower's accepted messages, in the order WeChat delivered them: a Redis list {@code oac:inbox:<openid>}.
 * The callback appends (see Admission); the answering side takes one message at a time under a lease
 * ({@code oac:owner:<openid>}) whose value is the turn's own token, so the second question sees the first exchange
 * and answers go out in order, on one instance or many. A message leaves the list only when its turn is over.
 * <p>
 * A turn costs few round trips: {@link #claim} (lease, head, progress, memory, pending: one script), {@link #commit}
 * (decided text, memory, pending: one script), and {@link #next} (pop, then the next head: one script). Every write
 * after the claim checks the turn's token in the same script, so a turn that lost its lease (Redis stalled past it,
 * and a successor took over) writes nothing and sends nothing. Called as {@code inbox}.
 */
@Component("inbox")
public class Inbox {

    private static final Logger LOG = LoggerFactory.getLogger(Inbox.class);

    /** claim.lua and next.lua's first keys and arguments: the follower's turn. */
    record Claim(String lease, String inbox, String followers, String memory, String pending, String photo,
                 String token, String leaseTtl, String openid, String progressPrefix, String progressTtl,
                 String memoryTtl) implements Script.Call {
        public List<String> keys() {
            return List.of(lease, inbox, followers, memory, pending, photo);
        }

        public List<String> args() {
            return List.of(token, leaseTtl, openid, progressPrefix, progressTtl, memoryTtl);
        }
    }

    /** next.lua: the claim's keys and arguments, then the finished head and its progress. */
    record Next(Claim turn, String finishedHead, String finishedProgress) implements Script.Call {
        public List<String> keys() {
            return turn.keys();
        }

        public List<String> args() {
            List<String> args = new ArrayList<>(turn.args());
            args.add(finishedHead);
            args.add(finishedProgress);
            return args;
        }
    }

    /**
     * commit.lua. memoryMode: set, del (the photo too) or keep; pendingMode: cas (drop only pendingRead) or set;
     * keptPhoto: the photo to keep for photoTtl ms ('' none).
     */
    record Commit(String lease, String progress, String memory, String pending, String inbox, String photo,
                  String token, String leaseTtl, String text, String progressTtl, String memoryMode,
                  String newMemory, String memoryTtl, String rest, String pendingTtl, String head, String pendingMode,
                  String pendingRead, String generated, String keptPhoto, String photoTtl) implements Script.Call {
        public List<String> keys() {
            return List.of(lease, progress, memory, pending, inbox, photo);
        }

        public List<String> args() {
            return List.of(token, leaseTtl, text, progressTtl, memoryMode, newMemory, memoryTtl, rest, pendingTtl,
                    head, pendingMode, pendingRead, generated, keptPhoto, photoTtl);
        }
    }

    /** sent.lua. */
    record Sent(String lease, String progress, String token, String leaseTtl, String parts, String progressTtl)
            implements Script.Call {
        public List<String> keys() {
            return List.of(lease, progress);
        }

        public List<String> args() {
            return List.of(token, leaseTtl, parts, progressTtl);
        }
    }

    /** keep-pending.lua; over "1": the message's delivery ends here. */
    record KeepPending(String lease, String pending, String progress, String token, String rest, String pendingTtl,
                       String leaseTtl, String over) implements Script.Call {
        public List<String> keys() {
            return List.of(lease, pending, progress);
        }

        public List<String> args() {
            return List.of(token, rest, pendingTtl, leaseTtl, over);
        }
    }

    /** pause.lua. */
    record Pause(String lease, String progress, String token) implements Script.Call {
        public List<String> keys() {
            return List.of(lease, progress);
        }

        public List<String> args() {
            return List.of(token);
        }
    }

    /** renew.lua: leases[i] renewed while it holds tokens[i]. */
    record Renew(List<String> leases, String leaseTtl, List<String> tokens) implements Script.Call {
        public List<String> keys() {
            return leases;
        }

        public List<String> args() {
            List<String> args = new ArrayList<>(tokens.size() + 1);
            args.add(leaseTtl);
            args.addAll(tokens);
            return args;
        }
    }

    @SuppressWarnings("rawtypes")
    private static final Script<Claim, List> CLAIM = Script.of("claim", List.class);
    @SuppressWarnings("rawtypes")
    private static final Script<Next, List> NEXT = Script.of("next", List.class);
    private static final Script<Commit, Long> COMMIT = Script.of("commit", Long.class);
    private static final Script<Sent, Long> SENT = Script.of("sent", Long.class);
    private static final Script<KeepPending, Long> KEEP_PENDING = Script.of("keep-pending", Long.class);
    private static final Script<Pause, Long> PAUSE = Script.of("pause", Long.class);
    private static final Script<Script.DeleteIfSame, Long> DELETE_IF_SAME = Script.of("delete-if-same", Long.class);
    private static final Script<Renew, Long> RENEW = Script.of("renew", Long.class);
    /** Leases renewed per step: thousands of turns in flight cost a few round trips per heartbeat, not thousands. */
    private static final int RENEW_BATCH = 500;

    private final ReplicaAcks replicaAcks;
    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final Keys keys;
    private final WaitingFollowers waitingFollowers;
    private final Duration leaseTtl;
    private final String lease;
    private final String progressTtl;
    private final String memoryTtl;
    private final String pendingTtl;
    /** The leases this instance's turns hold: turn token → follower. Renewed by the heartbeat, per turn. */
    private final Map<String, Follower> held = new ConcurrentHashMap<>();

    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "inbox-lease-heartbeat");
        thread.setDaemon(true);
        return thread;
    });
    /** The heartbeat's steps on a Cluster, one per slot, run at once (see renewLeases). */
    private final SimpleAsyncTaskExecutor renewals;

    public Inbox(StringRedisTemplate redis, ObjectMapper json, Keys keys, WaitingFollowers waitingFollowers,
                 ReplicaAcks replicaAcks, ChatProperties properties) {
        this.redis = redis;
        // see ReplicaAcks: a turn goes on (sends) only from writes a replica holds, waiting for them while its lease lasts
        this.replicaAcks = replicaAcks.patient(properties.queue().leaseTtl());
        this.json = json;
        this.keys = keys;
        this.waitingFollowers = waitingFollowers;
        this.leaseTtl = properties.queue().leaseTtl();
        this.lease = Script.millis(leaseTtl);
        this.progressTtl = Script.millis(properties.recovery().maxAge());
        this.memoryTtl = Script.millis(properties.memory().idleTimeout());
        this.pendingTtl = Script.millis(properties.delivery().pendingTtl());
        this.renewals = new SimpleAsyncTaskExecutor("lease-renewal-");
        renewals.setDaemon(true);
        if (properties.threads().virtual() && Runtime.version().feature() >= 21) {
            renewals.setVirtualThreads(true);
        } else {
            renewals.setConcurrencyLimit(properties.redis().poolSize());
        }
        long period = Math.max(100, leaseTtl.toMillis() / 3);
        heartbeat.scheduleWithFixedDelay(this::renewLeases, period, period, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stopHeartbeat() {
        heartbeat.shutdownNow();
    }

    /**
     * Takes the follower's lease for a new turn and reads their oldest message with everything its turn needs. Null
     * when another consumer (here or on another instance) is answering them, or when nothing is left.
     */
    public Turn claim(Follower follower) throws JsonProcessingException {
        waitingFollowers.note(follower); // whatever becomes of this turn, the next recovery pass looks at them
        String token = UUID.randomUUID().toString();
        List<?> read = CLAIM.run(redis, claimCall(follower, token));
        return turn(follower, token, read);
    }

    /** The turn's message is done: it leaves the inbox, and the follower's next message (if any) is read. */
    public Turn next(Turn done) throws JsonProcessingException {
        // not waited for: a failover that loses the pop leaves the message's progress with it, every part recorded
        // as sent (a confirmed write), so the resumed turn sends nothing and pops it again
        List<?> read = afterSending(() -> NEXT.run(redis, new Next(claimCall(done.follower(), done.token()),
                done.head(), keys(done).progress(done.openid(), done.msgKey()))));
        return turn(done.follower(), done.token(), read);
    }

    /**
     * Records what the turn decided: the text, the conversation (memory null: unchanged, empty: forgotten, with the
     * follower's photo), the rest kept for the continue command (empty: none) and the photo the follower's next text
     * questions go with (keptPhoto: the turn's message, for photoTtl; null: unchanged). False, and nothing written,
     * when the lease was lost.
     */
    public boolean commit(Turn turn, String text, boolean generated, String memory, String pending,
                          boolean keptPhoto, Duration photoTtl) {
        return commit(turn, text, generated, memory, pending, "set", keptPhoto, photoTtl);
    }

    /**
     * The same for an answer handed out through callback replies: the rest the turn read is dropped (its hand-out
     * keeps the new rest), unless a hand-out replaced it meanwhile.
     */
    public boolean commitForHandOut(Turn turn, String text, boolean generated, String memory, boolean keptPhoto,
                                    Duration photoTtl) {
        return commit(turn, text, generated, memory, "", "cas", keptPhoto, photoTtl);
    }

    private boolean commit(Turn turn, String text, boolean generated, String memory, String pending,
                           String pendingMode, boolean keptPhoto, Duration photoTtl) {
        String memoryMode = memory == null ? "keep" : memory.isEmpty() ? "del" : "set";
        boolean keep = keptPhoto && photoTtl.toMillis() > 0;
        return owned(COMMIT.run(redis, new Commit(keys(turn).owner(turn.openid()), keys(turn).progress(turn.openid(), turn.msgKey()),
                keys(turn).memory(turn.openid()), keys(turn).pending(turn.openid()), keys(turn).inbox(turn.openid()),
                keys(turn).photo(turn.openid()), turn.token(), lease, text, progressTtl, memoryMode,
                memory == null ? "" : memory, memoryTtl, pending, pendingTtl, turn.head(), pendingMode,
                turn.pending() == null ? "" : turn.pending(), Script.flag(generated), keep ? turn.head() : "",
                keep ? Long.toString(photoTtl.toMillis()) : "0"), replicaAcks),
                turn); // replicated before the first part goes: after a failover the turn still owns what it sends
    }

    /** WeChat accepted this many parts of the turn's text. False (nothing written) when the lease was lost. */
    public boolean sent(Turn turn, int parts) {
        // replicated before the next part goes: a failover must not make a resumed turn send this part again
        return owned(afterSending(() -> SENT.run(redis, new Sent(keys(turn).owner(turn.openid()),
                keys(turn).progress(turn.openid(), turn.msgKey()), turn.token(), lease, Integer.toString(parts), progressTtl),
                replicaAcks)), turn);
    }

    /** Replaces the rest kept for the continue command (empty: none), after WeChat stopped the answer. */
    public boolean keepPending(Turn turn, String pending) {
        return keepPending(turn, pending, false);
    }

    /**
     * Ends the message's delivery for good (a dead letter follows): no rest kept, and a turn resumed before its
     * message left the inbox sends nothing more. False (nothing written) when the lease was lost.
     */
    public boolean endDelivery(Turn turn) {
        return keepPending(turn, "", true);
    }

    private boolean keepPending(Turn turn, String pending, boolean over) {
        // after a send WeChat may have taken (or refused): through a Redis outage or failover as a sent part's record
        // is, or the resumed turn would send that part again
        return owned(afterSending(() -> KEEP_PENDING.run(redis, new KeepPending(keys(turn).owner(turn.openid()),
                keys(turn).pending(turn.openid()), keys(turn).progress(turn.openid(), turn.msgKey()), turn.token(), pending,
                pendingTtl, lease, Script.flag(over)), replicaAcks)), turn);
    }

    /** The turn waits (the model is paused): its start does not count, the message stays, the lease goes. */
    public void pause(Turn turn) {
        if (turn != null && held.remove(turn.token()) != null) {
            PAUSE.run(redis, new Pause(keys(turn).owner(turn.openid()), keys(turn).progress(turn.openid(), turn.msgKey()), turn.token()));
        }
    }

    /**
     * Answering stopped on an unexpected failure: the lease is given up; the message stays at the head of the inbox
     * and recovery wakes the follower again (up to chat.recovery.max-attempts starts, then it is a dead letter).
     */
    public void abandon(Turn turn) {
        if (turn != null && held.remove(turn.token()) != null) {
            try {
                DELETE_IF_SAME.run(redis, new Script.DeleteIfSame(keys(turn).owner(turn.openid()), turn.token()));
            } catch (RuntimeException redisDown) {
                LOG.warn("Could not release the lease on {}'s messages; it expires by itself",
                        turn.follower().masked());
            }
        }
    }

    /**
     * A step that records what WeChat accepted (or pops the finished message). Failing it would leave the turn to be
     * resumed, and resent from its last record, so a Redis error is retried (the step checks the turn's lease and is
     * idempotent) for as long as the lease would last.
     */
    private <T> T afterSending(java.util.function.Supplier<T> step) {
        return WhileLeaseLasts.retry(leaseTtl, "recording a sent answer", step);
    }

    /**
     * Keeps the leases of this instance's running turns alive while their (slow) model calls run, at most RENEW_BATCH
     * leases a step, each step the leases of one slot (a script on a Cluster may only touch the keys of one slot; on
     * one server too, so the same calls are tested there). On a Cluster the steps run at once (on virtual threads;
     * on platform threads, where virtual ones are off, chat.redis.pool-size at a time): a shard failing over then
     * holds up the renewal of its own slots for one bounded call (BoundedClusterConnections), not, one slot after
     * another, every lease behind them.
     */
    void renewLeases() {
        List<Map.Entry<String, Follower>> all = List.copyOf(this.held.entrySet());
        if (all.isEmpty()) {
            return;
        }
        Map<Integer, List<Map.Entry<String, Follower>>> bySlot = new HashMap<>();
        for (Map.Entry<String, Follower> held : all) {
            bySlot.computeIfAbsent(JedisClusterCRC16.getSlot(lease(held.getValue())), slot -> new ArrayList<>())
                    .add(held);
        }
        if (Script.cluster(redis) == null) {
            bySlot.values().forEach(this::renew); // one server: no shard to wait for
            return;
        }
        List<Future<?>> steps = bySlot.values().stream()
                .<Future<?>>map(leases -> renewals.submit(() -> renew(leases))).toList();
        for (Future<?> step : steps) {
            try {
                step.get();
            } catch (ExecutionException impossible) {
                LOG.warn("A lease renewal failed: {}", impossible.getCause().toString());
            } catch (InterruptedException stopping) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void renew(List<Map.Entry<String, Follower>> leases) {
        for (int from = 0; from < leases.size(); from += RENEW_BATCH) {
            List<Map.Entry<String, Follower>> batch = leases.subList(from, Math.min(leases.size(), from + RENEW_BATCH));
            List<String> owners = batch.stream().map(entry -> lease(entry.getValue())).toList();
            List<String> tokens = batch.stream().map(Map.Entry::getKey).toList();
            try {
                RENEW.run(redis, new Renew(owners, lease, tokens));
            } catch (RuntimeException redisDown) {
                LOG.warn("Could not renew the leases of {} turns: {}", batch.size(), redisDown.getMessage());
            }
        }
    }

    private Turn turn(Follower follower, String token, List<?> read) throws JsonProcessingException {
        String status = read == null || read.isEmpty() ? "idle" : (String) read.get(0);
        if (!"turn".equals(status)) {
            boolean wasHeld = held.remove(token) != null;
            if ("lost".equals(status) && wasHeld) {
                LOG.warn("Lost the lease on {}'s messages (Redis stalled past it?); its successor answers them",
                        follower.masked());
            }
            return null;
        }
        held.put(token, follower);
        String head = (String) read.get(1);
        String sent = (String) read.get(3);
        com.fasterxml.jackson.databind.JsonNode entry = json.readTree(head);
        return new Turn(follower, token, head, json.treeToValue(entry, InboundMessage.class), (String) read.get(2),
                sent == null ? 0 : Integer.parseInt(sent), Long.parseLong((String) read.get(4)),
                (String) read.get(5), (String) read.get(6), read.size() > 7 && "1".equals(read.get(7)),
                entry.path("At").asLong(0), read.size() > 8 && "1".equals(read.get(8)),
                read.size() > 9 && read.get(9) != null ? json.readValue((String) read.get(9), InboundMessage.class)
                        : null);
    }

    private boolean owned(Long result, Turn turn) {
        if (result != null && result == 1) {
            return true;
        }
        held.remove(turn.token());
        LOG.warn("Lost the lease on {}'s messages while answering {}; its successor answers it",
                turn.follower().masked(),
                turn.msgKey());
        return false;
    }

    private Claim claimCall(Follower follower, String token) {
        Keys keys = this.keys.of(follower);
        String openid = follower.openid();
        return new Claim(keys.owner(openid), keys.inbox(openid), keys.waiting(openid), keys.memory(openid),
                keys.pending(openid), keys.photo(openid), token, lease, openid, keys.progressPrefix(openid),
                progressTtl, memoryTtl);
    }

    /** The names of the keys of this turn's follower's account. */
    private Keys keys(Turn turn) {
        return keys.of(turn.follower());
    }

    /** The follower's lease key. */
    private String lease(Follower follower) {
        return keys.of(follower).owner(follower.openid());
    }
}
