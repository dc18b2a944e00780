package io.github.oac.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.InboundMessage;
import jakarta.annotation.PreDestroy;

/**
 * Each follower's accepted messages, in the order WeChat delivered them: a Redis list {@code oac:inbox:<openid>}.
 * The callback appends (see Admission); the SEDA side answers a follower's messages one at a time under a lease
 * ({@code oac:owner:<openid>}, renewed while held), so the second question sees the first exchange and answers go
 * out in order, on one instance or many. A message leaves the list only when its turn is finished.
 * Called as {@code inbox}.
 */
@Component("inbox")
public class Inbox {

    private static final Logger LOG = LoggerFactory.getLogger(Inbox.class);

    // The head, if the lease is still ours; else nothing. An empty inbox ends the lease and leaves the active set
    // in the same step, so a message appended meanwhile always finds the lease free.
    private static final RedisScript<String> HEAD_OR_RELEASE = RedisScript.of("""
            if redis.call('GET', KEYS[2]) ~= ARGV[1] then return false end
            local head = redis.call('LINDEX', KEYS[1], 0)
            if head then redis.call('PEXPIRE', KEYS[2], ARGV[2]); return head end
            redis.call('DEL', KEYS[2]); redis.call('SREM', KEYS[3], ARGV[3]); return false
            """, String.class);
    private static final RedisScript<Long> POP_IF_OWNER = RedisScript.of("""
            if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
            redis.call('LPOP', KEYS[1]); redis.call('DEL', KEYS[3]); redis.call('PEXPIRE', KEYS[2], ARGV[2]); return 1
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
    private static final RedisScript<Long> RENEW_IF_OWNER = RedisScript.of(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
            Long.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final Duration lease;
    private final String prefix;
    private final String active;
    /** Leases this instance holds: openid → lease token. */
    private final Map<String, String> held = new ConcurrentHashMap<>();

    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "inbox-lease-heartbeat");
        thread.setDaemon(true);
        return thread;
    });

    public Inbox(StringRedisTemplate redis, ObjectMapper json, ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.lease = properties.queue().leaseTtl();
        this.prefix = properties.redis().keyPrefix();
        this.active = prefix + "inboxes";
        long period = Math.max(100, lease.toMillis() / 3);
        heartbeat.scheduleWithFixedDelay(this::renewLeases, period, period, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stopHeartbeat() {
        heartbeat.shutdownNow();
    }

    /** Takes the follower's lease; false when another consumer (here or on another instance) is answering them. */
    public boolean claim(String openid) {
        String token = UUID.randomUUID().toString();
        if (Boolean.TRUE.equals(redis.opsForValue().setIfAbsent(owner(openid), token, lease))) {
            held.put(openid, token);
            return true;
        }
        return false;
    }

    /** The follower's oldest unfinished message; null (and the lease given up) when none is left. */
    public InboundMessage next(String openid) throws JsonProcessingException {
        String token = held.get(openid);
        String head = token == null ? null : redis.execute(HEAD_OR_RELEASE,
                List.of(inbox(openid), owner(openid), active), token, Long.toString(lease.toMillis()), openid);
        if (head == null) {
            held.remove(openid, token);
            return null;
        }
        return json.readValue(head, InboundMessage.class);
    }

    /** The head message's turn is finished: it leaves the inbox, and its progress record goes with it. */
    public void done(String openid, String msgKey) {
        String token = held.get(openid);
        if (token == null || redis.execute(POP_IF_OWNER, List.of(inbox(openid), owner(openid),
                prefix + "progress:" + msgKey), token, Long.toString(lease.toMillis())) == 0) {
            LOG.warn("Lost the lease on {}'s messages while answering; another consumer continues", openid);
        }
    }

    /**
     * Whether this consumer still holds the follower's lease: checked before each part goes out, so a consumer that
     * stalled past its lease (and was replaced) stops instead of sending what its successor sends.
     */
    public boolean owns(Exchange exchange) {
        String openid = exchange.getVariable("openid", String.class);
        String token = held.get(openid);
        return token != null && token.equals(redis.opsForValue().get(owner(openid)));
    }

    /** Followers whose inbox holds messages nobody is answering (their lease lapsed): to be woken again. */
    @SuppressWarnings("unchecked")
    public List<String> orphans() {
        List<String> orphans = redis.execute(ORPHANS, List.of(active), prefix);
        return orphans == null ? List.of() : orphans;
    }

    /**
     * Answering stopped on an unexpected failure: the lease is given up; the message stays at the head of the inbox
     * and recovery wakes the follower again (up to chat.recovery.max-attempts starts, then it is a dead letter).
     */
    public void abandon(String openid) {
        String token = held.remove(openid);
        if (token != null) {
            try {
                redis.execute(RELEASE_IF_OWNER, List.of(owner(openid)), token);
            } catch (RuntimeException redisDown) {
                LOG.warn("Could not release the lease on {}'s messages; it expires by itself", openid);
            }
        }
    }

    /** Keeps the leases this instance holds alive while their (slow) turns run. */
    void renewLeases() {
        held.forEach((openid, token) -> {
            try {
                redis.execute(RENEW_IF_OWNER, List.of(owner(openid)), token, Long.toString(lease.toMillis()));
            } catch (RuntimeException redisDown) {
                LOG.warn("Could not renew the lease on {}'s messages: {}", openid, redisDown.getMessage());
            }
        });
    }

    private String inbox(String openid) {
        return prefix + "inbox:" + openid;
    }

    private String owner(String openid) {
        return prefix + "owner:" + openid;
    }
}
