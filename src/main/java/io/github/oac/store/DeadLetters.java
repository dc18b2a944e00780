package io.github.oac.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.InboundMessage;

/**
 * Accepted messages that could not be answered, kept with the reason in the Redis hash {@code oac:dead} (msgKey →
 * JSON) until an operator replays or deletes them: too old for WeChat's 48-hour window, failed on every attempt, or
 * refused by WeChat for good. Replaying puts the message back at the end of its follower's inbox. Called as
 * {@code deadLetters}.
 */
@Component("deadLetters")
public class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

    // Back into the inbox and out of the dead letters in one step, so a replay is never lost or doubled.
    private static final RedisScript<Long> REPLAY = RedisScript.of("""
            if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
            redis.call('DEL', KEYS[4])
            redis.call('RPUSH', KEYS[2], ARGV[2]); redis.call('SADD', KEYS[3], ARGV[3]); return 1
            """, Long.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final Metrics metrics;
    private final String prefix;
    private final String key;
    private final Duration maxAge;
    private final int maxAttempts;
    private final Clock clock;

    public DeadLetters(StringRedisTemplate redis, ObjectMapper json, Metrics metrics, ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.metrics = metrics;
        this.prefix = properties.redis().keyPrefix();
        this.key = prefix + "dead";
        this.maxAge = properties.recovery().maxAge();
        this.maxAttempts = properties.recovery().maxAttempts();
        this.clock = Clock.systemUTC();
    }

    /** Why this message's turn should not run again (too old, or started too often), or null to go ahead. */
    public String reasonToGiveUp(InboundMessage message, long attempt) {
        long created = parseLong(message.createTime());
        if (created > 0 && Instant.ofEpochSecond(created).plus(maxAge).isBefore(clock.instant())) {
            return "older than " + maxAge.toHours() + " h, past WeChat's window for customer-service messages";
        }
        if (attempt > maxAttempts) {
            return "its answer failed on " + (attempt - 1) + " attempts";
        }
        return null;
    }

    public void record(InboundMessage message, String reason, String unsentText) throws JsonProcessingException {
        Map<String, Object> letter = new LinkedHashMap<>();
        letter.put("id", message.key());
        letter.put("openid", message.fromUserName());
        letter.put("reason", reason);
        letter.put("deadAt", clock.instant().toString());
        letter.put("unsent", unsentText);
        letter.put("message", message);
        redis.opsForHash().put(key, message.key(), json.writeValueAsString(letter));
        metrics.deadLetter(reason.contains("errcode") ? "wechat-refused" : reason.startsWith("older") ? "expired"
                : "failed");
        LOG.warn("Message {} from {} is now a dead letter: {}", message.key(), message.fromUserName(), reason);
    }

    public List<JsonNode> list() throws JsonProcessingException {
        List<JsonNode> letters = new ArrayList<>();
        for (Object letter : redis.opsForHash().values(key)) {
            letters.add(json.readTree(letter.toString()));
        }
        return letters;
    }

    /** Puts the message back into its follower's inbox; returns the openid to wake, or null if no such letter. */
    public String replay(String id) throws JsonProcessingException {
        Object stored = redis.opsForHash().get(key, id);
        if (stored == null) {
            return null;
        }
        JsonNode letter = json.readTree(stored.toString());
        String openid = letter.path("openid").asText();
        Long moved = redis.execute(REPLAY, List.of(key, prefix + "inbox:" + openid, prefix + "inboxes",
                prefix + "progress:" + id), id, json.writeValueAsString(letter.path("message")), openid);
        return moved != null && moved == 1 ? openid : null;
    }

    /** Replays every dead letter; returns the followers to wake. */
    public List<String> replayAll() throws JsonProcessingException {
        List<String> openids = new ArrayList<>();
        for (Object id : redis.opsForHash().keys(key)) {
            String openid = replay(id.toString());
            if (openid != null && !openids.contains(openid)) {
                openids.add(openid);
            }
        }
        return openids;
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value == null ? "" : value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
