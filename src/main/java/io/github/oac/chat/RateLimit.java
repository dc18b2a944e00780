package io.github.oac.chat;

import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.InboundMessage;

/**
 * Questions per follower per minute (a fixed window opened by the first question), counted in Redis so every
 * instance shares the count. Called as {@code rateLimit}.
 */
@Component("rateLimit")
public class RateLimit {

    private static final RedisScript<Long> COUNT = RedisScript.of(
            "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], 60) end return n",
            Long.class);

    private final StringRedisTemplate redis;
    private final int perMinute;
    private final String prefix;

    private final Commands commands;

    public RateLimit(StringRedisTemplate redis, Commands commands, ChatProperties properties) {
        this.redis = redis;
        this.commands = commands;
        this.perMinute = properties.rateLimit().perMinute();
        this.prefix = properties.redis().keyPrefix() + "rate:";
    }

    /**
     * Counts this question; false when the follower is over the limit (it is then not answered). Commands cost no
     * model call and are never limited.
     */
    public boolean allow(InboundMessage message) {
        if (perMinute <= 0 || commands.isCommand(message)) {
            return true;
        }
        Long count = redis.execute(COUNT, List.of(prefix + message.fromUserName()));
        return count == null || count <= perMinute;
    }
}
