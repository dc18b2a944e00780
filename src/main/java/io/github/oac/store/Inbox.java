package io.github.oac.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.Openids;
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

    // The head's turn: attempts counted, progress, memory (touched: idle timeout) and pending read in the same step.
    // An empty inbox ends the lease and leaves the active set in that step, so a message appended meanwhile always
    // finds the lease free. The progress key comes from the message itself (MsgId, else FromUserName:CreateTime).
    private static final String READ_HEAD = """
            local function read_head()
              local head = redis.call('LINDEX', KEYS[2], 0)
              if not head then
                redis.call('DEL', KEYS[1]); redis.call('SREM', KEYS[3], ARGV[3]); return {'idle'}
              end
              local m = cjson.decode(head)
              local key
              if type(m.Key) == 'string' then
                key = m.Key -- written by the admission from InboundMessage.key(): the same key everywhere
              elseif type(m.MsgId) == 'string' and string.find(m.MsgId, '%S') then
                key = string.match(m.MsgId, '^%s*(.-)%s*$')
              else
                key = tostring(m.FromUserName) .. ':' .. tostring(m.CreateTime)
              end
              local progress = ARGV[4] .. key
              local attempts = redis.call('HINCRBY', progress, 'attempts', 1)
              redis.call('PEXPIRE', progress, ARGV[5])
              local state = redis.call('HMGET', progress, 'answer', 'sent', 'over', 'label')
              if state[1] then redis.call('HSET', progress, 'by', ARGV[1]) end -- this turn adopts the decision
              local memory = redis.call('GET', KEYS[4])
              if memory then redis.call('PEXPIRE', KEYS[4], ARGV[6]) end
              return {'turn', head, state[1], state[2], tostring(attempts), memory, redis.call('GET', KEYS[5]),
                      state[3] or '', state[4] or ''}
            end
            """;
    // Whether the turn (still) owns the lease. A lease that lapsed while Redis stalled and that nobody took since is
    // taken back, but only while this turn's decision (progress 'by') still stands: a successor that decided, or
    // finished the message (its progress gone), wins.
    static final String OWN = """
            local function own(owner, progress, token, lease)
              local holder = redis.call('GET', owner)
              if holder == token then redis.call('PEXPIRE', owner, lease); return true end
              if holder or redis.call('HGET', progress, 'by') ~= token then return false end
              redis.call('SET', owner, token, 'PX', lease); return true
            end
            """;
    private static final RedisScript<List> CLAIM = RedisScript.of(READ_HEAD + """
            if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'taken'} end
            return read_head()
            """, List.class);
    // The finished head leaves (only if it still is the head) with its progress, then the next head is read.
    private static final RedisScript<List> NEXT = RedisScript.of(READ_HEAD + OWN + """
            if not own(KEYS[1], ARGV[8], ARGV[1], ARGV[2]) then return {'lost'} end
            if redis.call('LINDEX', KEYS[2], 0) == ARGV[7] then redis.call('LPOP', KEYS[2]) end
            redis.call('DEL', ARGV[8])
            return read_head()
            """, List.class);
    // What the turn decided, in one step: the text (so a resumed turn sends the same), the conversation, the rest
    // kept for the continue command. A lapsed lease nobody took is taken back only while the message is still the
    // head and nobody decided its text meanwhile.
    private static final RedisScript<Long> COMMIT = RedisScript.of("""
            local holder = redis.call('GET', KEYS[1])
            if holder ~= ARGV[1] then
              if holder or redis.call('LINDEX', KEYS[5], 0) ~= ARGV[10]
                 or redis.call('HEXISTS', KEYS[2], 'answer') == 1 then return 0 end
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            end
            redis.call('HSET', KEYS[2], 'answer', ARGV[3], 'by', ARGV[1]); redis.call('PEXPIRE', KEYS[2], ARGV[4])
            -- the model wrote the text: a resumed turn labels it as this one would
            if ARGV[13] == '1' then redis.call('HSET', KEYS[2], 'label', '1') else redis.call('HDEL', KEYS[2], 'label') end
            if ARGV[5] == 'set' then redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
            elseif ARGV[5] == 'del' then redis.call('DEL', KEYS[3]) end
            if ARGV[11] == 'cas' then
              -- only the rest this turn read goes (a hand-out may have kept a newer one meanwhile)
              if (redis.call('GET', KEYS[4]) or '') == ARGV[12] then redis.call('DEL', KEYS[4]) end
            elseif ARGV[8] == '' then redis.call('DEL', KEYS[4]) else redis.call('SET', KEYS[4], ARGV[8], 'PX', ARGV[9]) end
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return 1
            """, Long.class);
    private static final RedisScript<Long> SENT = RedisScript.of(OWN + """
            if not own(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) then return 0 end
            redis.call('HSET', KEYS[2], 'sent', ARGV[3]); redis.call('PEXPIRE', KEYS[2], ARGV[4])
            return 1
            """, Long.class);
    // ARGV[5] '1': the message's delivery ended here (a dead letter follows): a resumed turn sends nothing more.
    private static final RedisScript<Long> KEEP_PENDING = RedisScript.of(OWN + """
            if not own(KEYS[1], KEYS[3], ARGV[1], ARGV[4]) then return 0 end
            if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
            if ARGV[5] == '1' then redis.call('HSET', KEYS[3], 'over', '1') end
            return 1
            """, Long.class);
    // The turn waited rather than failed: its start does not count, and the lease goes.
    private static final RedisScript<Long> PAUSE = RedisScript.of("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            redis.call('HINCRBY', KEYS[2], 'attempts', -1); redis.call('DEL', KEYS[1]); return 1
            """, Long.class);
    // Followers with unanswered messages whom nobody is answering: their owner crashed, stopped, or was never woken.
    private static final RedisScript<List> ORPHANS = RedisScript.of("""
            local orphans = {}
            for _, openid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              if redis.call('EXISTS', ARGV[1] .. 'owner:' .. openid) == 0 then
                if redis.call('LLEN', ARGV[1] .. 'inbox:' .. openid) > 0 then
                  table.insert(orphans, openid)
                else
                  redis.call('SREM', KEYS[1], openid)
                end
              end
            end
            return orphans
            """, List.class);
    private static final RedisScript<Long> RELEASE_IF_OWNER = RedisScript.of(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", Long.class);
    // Every lease of this instance in one step (KEYS: owners, ARGV: lease, then the tokens in the same order).
    private static final RedisScript<Long> RENEW_IF_OWNER = RedisScript.of("""
            local renewed = 0
            for i, owner in ipairs(KEYS) do
              if redis.call('GET', owner) == ARGV[i + 1] then redis.call('PEXPIRE', owner, ARGV[1]); renewed = renewed + 1 end
            end
            return renewed
            """, Long.class);
    /** Leases renewed per step: thousands of turns in flight cost a few round trips per heartbeat, not thousands. */
    private static final int RENEW_BATCH = 500;

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final Keys keys;
    private final Duration leaseTtl;
    private final String lease;
    private final String progressTtl;
    private final String memoryTtl;
    private final String pendingTtl;
    /** The leases this instance's turns hold: turn token → openid. Renewed by the heartbeat, per turn. */
    private final Map<String, String> held = new ConcurrentHashMap<>();

    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "inbox-lease-heartbeat");
        thread.setDaemon(true);
        return thread;
    });

    public Inbox(StringRedisTemplate redis, ObjectMapper json, Keys keys, ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.keys = keys;
        this.leaseTtl = properties.queue().leaseTtl();
        this.lease = millis(leaseTtl);
        this.progressTtl = millis(properties.recovery().maxAge());
        this.memoryTtl = millis(properties.memory().idleTimeout());
        this.pendingTtl = millis(properties.delivery().pendingTtl());
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
    public Turn claim(String openid) throws JsonProcessingException {
        String token = UUID.randomUUID().toString();
        List<?> read = redis.execute(CLAIM, turnKeys(openid), token, lease, openid, keys.progressPrefix(),
                progressTtl, memoryTtl);
        return turn(openid, token, read);
    }

    /** The turn's message is done: it leaves the inbox, and the follower's next message (if any) is read. */
    public Turn next(Turn done) throws JsonProcessingException {
        List<?> read = afterSending(() -> redis.execute(NEXT, turnKeys(done.openid()), done.token(), lease,
                done.openid(), keys.progressPrefix(), progressTtl, memoryTtl, done.head(),
                keys.progress(done.msgKey())));
        return turn(done.openid(), done.token(), read);
    }

    /**
     * Records what the turn decided: the text, the conversation (memory null: unchanged, empty: forgotten) and the
     * rest kept for the continue command (empty: none). False, and nothing written, when the lease was lost.
     */
    public boolean commit(Turn turn, String text, boolean generated, String memory, String pending) {
        return commit(turn, text, generated, memory, pending, "set");
    }

    /**
     * The same for an answer handed out through callback replies: the rest the turn read is dropped (its hand-out
     * keeps the new rest), unless a hand-out replaced it meanwhile.
     */
    public boolean commitForHandOut(Turn turn, String text, boolean generated, String memory) {
        return commit(turn, text, generated, memory, "", "cas");
    }

    private boolean commit(Turn turn, String text, boolean generated, String memory, String pending,
                           String pendingMode) {
        String memoryMode = memory == null ? "keep" : memory.isEmpty() ? "del" : "set";
        return owned(redis.execute(COMMIT, List.of(keys.owner(turn.openid()), keys.progress(turn.msgKey()),
                        keys.memory(turn.openid()), keys.pending(turn.openid()), keys.inbox(turn.openid())),
                turn.token(), lease, text, progressTtl, memoryMode, memory == null ? "" : memory, memoryTtl, pending,
                pendingTtl, turn.head(), pendingMode, turn.pending() == null ? "" : turn.pending(),
                generated ? "1" : ""), turn);
    }

    /** WeChat accepted this many parts of the turn's text. False (nothing written) when the lease was lost. */
    public boolean sent(Turn turn, int parts) {
        return owned(afterSending(() -> redis.execute(SENT, List.of(keys.owner(turn.openid()),
                keys.progress(turn.msgKey())), turn.token(), lease, Integer.toString(parts), progressTtl)), turn);
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
        return owned(redis.execute(KEEP_PENDING, List.of(keys.owner(turn.openid()), keys.pending(turn.openid()),
                keys.progress(turn.msgKey())), turn.token(), pending, pendingTtl, lease, over ? "1" : "0"), turn);
    }

    /** The turn waits (the model is paused): its start does not count, the message stays, the lease goes. */
    public void pause(Turn turn) {
        if (turn != null && held.remove(turn.token()) != null) {
            redis.execute(PAUSE, List.of(keys.owner(turn.openid()), keys.progress(turn.msgKey())), turn.token());
        }
    }

    /**
     * Answering stopped on an unexpected failure: the lease is given up; the message stays at the head of the inbox
     * and recovery wakes the follower again (up to chat.recovery.max-attempts starts, then it is a dead letter).
     */
    public void abandon(Turn turn) {
        if (turn != null && held.remove(turn.token()) != null) {
            try {
                redis.execute(RELEASE_IF_OWNER, List.of(keys.owner(turn.openid())), turn.token());
            } catch (RuntimeException redisDown) {
                LOG.warn("Could not release the lease on {}'s messages; it expires by itself",
                        Openids.masked(turn.openid()));
            }
        }
    }

    /** Followers whose inbox holds messages nobody is answering (their lease lapsed): to be woken again. */
    @SuppressWarnings("unchecked")
    public List<String> orphans() {
        List<String> orphans = redis.execute(ORPHANS, List.of(keys.inboxes()), keys.prefix());
        return orphans == null ? List.of() : orphans;
    }

    /**
     * A step that records what WeChat accepted (or pops the finished message). Failing it would leave the turn to be
     * resumed, and resent from its last record, so a Redis error is retried (the step checks the turn's lease and is
     * idempotent) for as long as the lease would last.
     */
    private <T> T afterSending(java.util.function.Supplier<T> step) {
        long deadline = System.nanoTime() + leaseTtl.toNanos();
        long pause = 100;
        while (true) {
            try {
                return step.get();
            } catch (org.springframework.dao.DataAccessException redisDown) {
                if (System.nanoTime() + pause * 1_000_000 > deadline) {
                    throw redisDown;
                }
                LOG.warn("Redis did not answer while recording a sent answer ({}); trying again",
                        redisDown.getMessage());
                sleep(pause);
                pause = Math.min(2000, pause * 2);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Redis", stopping);
        }
    }

    /** Keeps the leases of this instance's running turns alive while their (slow) model calls run. */
    void renewLeases() {
        List<Map.Entry<String, String>> leases = List.copyOf(held.entrySet());
        for (int from = 0; from < leases.size(); from += RENEW_BATCH) {
            List<Map.Entry<String, String>> batch = leases.subList(from, Math.min(leases.size(), from + RENEW_BATCH));
            List<String> owners = batch.stream().map(entry -> keys.owner(entry.getValue())).toList();
            Object[] args = new Object[batch.size() + 1];
            args[0] = lease;
            for (int i = 0; i < batch.size(); i++) {
                args[i + 1] = batch.get(i).getKey();
            }
            try {
                redis.execute(RENEW_IF_OWNER, owners, args);
            } catch (RuntimeException redisDown) {
                LOG.warn("Could not renew the leases of {} turns: {}", batch.size(), redisDown.getMessage());
            }
        }
    }

    private Turn turn(String openid, String token, List<?> read) throws JsonProcessingException {
        String status = read == null || read.isEmpty() ? "idle" : (String) read.get(0);
        if (!"turn".equals(status)) {
            boolean wasHeld = held.remove(token) != null;
            if ("lost".equals(status) && wasHeld) {
                LOG.warn("Lost the lease on {}'s messages (Redis stalled past it?); its successor answers them",
                        Openids.masked(openid));
            }
            return null;
        }
        held.put(token, openid);
        String head = (String) read.get(1);
        String sent = (String) read.get(3);
        com.fasterxml.jackson.databind.JsonNode entry = json.readTree(head);
        return new Turn(openid, token, head, json.treeToValue(entry, InboundMessage.class), (String) read.get(2),
                sent == null ? 0 : Integer.parseInt(sent), Long.parseLong((String) read.get(4)),
                (String) read.get(5), (String) read.get(6), read.size() > 7 && "1".equals(read.get(7)),
                entry.path("At").asLong(0), read.size() > 8 && "1".equals(read.get(8)));
    }

    private boolean owned(Long result, Turn turn) {
        if (result != null && result == 1) {
            return true;
        }
        held.remove(turn.token());
        LOG.warn("Lost the lease on {}'s messages while answering {}; its successor answers it",
                Openids.masked(turn.openid()),
                turn.msgKey());
        return false;
    }

    private List<String> turnKeys(String openid) {
        return List.of(keys.owner(openid), keys.inbox(openid), keys.inboxes(), keys.memory(openid),
                keys.pending(openid));
    }

    private static String millis(Duration duration) {
        return Long.toString(duration.toMillis());
    }
}
