package io.github.oac.store;

import java.util.ArrayList;
import java.util.List;

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

/**
 * Per-follower state kept in Redis, by openid. WeChat asks that a follower's data goes when they unfollow:
 * {@link #forget} deletes every per-follower key, their unanswered messages with the progress records of those
 * messages, and their place in {@code oac:inboxes}. Called as {@code followers}.
 */
@Component("followers")
public class Followers {

    private static final Logger LOG = LoggerFactory.getLogger(Followers.class);

    /** Every per-follower key family; a feature that stores state per openid adds its family here. */
    // owner: the lease goes too, so a turn still in flight (the follower may follow again and ask meanwhile) fails
    // its lease checks and writes nothing more: no memory brought back, no part of their next question popped
    static final List<String> FAMILIES = List.of("inbox:", "owner:", "memory:", "pending:", "outbox:",
            "rate:");

    // KEYS[1] is the set of followers with messages; every other key is deleted. One step, so recovery never sees
    // the follower listed without their inbox, or the inbox without its progress records.
    private static final RedisScript<Long> FORGET = RedisScript.of("""
            redis.call('SREM', KEYS[1], ARGV[1])
            local deleted = 0
            for i = 2, #KEYS do deleted = deleted + redis.call('DEL', KEYS[i]) end
            return deleted
            """, Long.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final String prefix;

    public Followers(StringRedisTemplate redis, ObjectMapper json, ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.prefix = properties.redis().keyPrefix();
    }

    /**
     * Reading the inbox and deleting it are two steps, which is safe because the inbox can only shrink in between:
     * WeChat sends nothing more from a follower who unfollowed, and a turn that finishes meanwhile removes its
     * message with its progress record. A turn still in flight loses its lease with the rest, so it sends and
     * writes nothing more, never re-creating the inbox.
     */
    public void forget(String openid) {
        if (openid == null || openid.isBlank()) {
            return;
        }
        List<String> keys = new ArrayList<>();
        keys.add(prefix + "inboxes");
        FAMILIES.forEach(family -> keys.add(prefix + family + openid));
        List<String> inbox = redis.opsForList().range(prefix + "inbox:" + openid, 0, -1);
        for (String entry : inbox == null ? List.<String>of() : inbox) {
            try {
                String key = json.readValue(entry, InboundMessage.class).key();
                keys.add(prefix + "progress:" + key);
                keys.add(prefix + "reply:" + key);
            } catch (JsonProcessingException unreadable) {
                // no key to derive, so no progress record to find; the entry goes with the inbox
                LOG.warn("Unreadable inbox entry of {} deleted without its progress record", Openids.masked(openid));
            }
        }
        // answers owed to them, and what their messages' callbacks were given: no text of theirs stays behind
        List<String> owed = redis.opsForList().range(prefix + "outbox:" + openid, 0, -1);
        for (String entry : owed == null ? List.<String>of() : owed) {
            try {
                keys.add(prefix + "reply:" + json.readTree(entry).path("k").asText());
            } catch (JsonProcessingException unreadable) {
                // the entry goes with the outbox
            }
        }
        redis.execute(FORGET, keys, openid);
    }
}
