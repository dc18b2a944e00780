package io.github.oac.store;

import java.time.Duration;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * How far the turn of a message got, in {@code oac:progress:<msgKey>}: the text decided for it (the model's answer,
 * the apology, a command's reply), how many of its parts WeChat accepted, and how many times the turn was started.
 * A turn that is resumed after a crash or a restart neither asks the model again nor re-sends a part WeChat
 * accepted. Cleared with the message when its turn ends (Inbox.done). Called as {@code progress}.
 */
@Component("progress")
public class Progress {

    private final StringRedisTemplate redis;
    private final String prefix;
    private final Duration ttl;

    public Progress(StringRedisTemplate redis, ChatProperties properties) {
        this.redis = redis;
        this.prefix = properties.redis().keyPrefix() + "progress:";
        this.ttl = properties.delivery().pendingTtl();
    }

    /** Counts a start of this message's turn and returns the count (1 the first time). */
    public long attempt(String msgKey) {
        Long attempts = redis.opsForHash().increment(key(msgKey), "attempts", 1);
        redis.expire(key(msgKey), ttl);
        return attempts == null ? 1 : attempts;
    }

    /** This start does not count against chat.recovery.max-attempts (the turn waited, it did not fail). */
    public void forgive(String msgKey) {
        redis.opsForHash().increment(key(msgKey), "attempts", -1);
    }

    /** The text already decided for this message, or null when its turn has not got that far. */
    public String answer(String msgKey) {
        Object answer = redis.opsForHash().get(key(msgKey), "answer");
        return answer == null ? null : answer.toString();
    }

    public void save(String msgKey, String text) {
        redis.opsForHash().put(key(msgKey), "answer", text);
    }

    public int sent(String msgKey) {
        Object sent = redis.opsForHash().get(key(msgKey), "sent");
        return sent == null ? 0 : Integer.parseInt(sent.toString());
    }

    public void sentOne(String msgKey) {
        redis.opsForHash().increment(key(msgKey), "sent", 1);
    }

    String key(String msgKey) {
        return prefix + msgKey;
    }
}
