package io.github.oac.store;

import java.time.Duration;
import java.util.List;

import org.apache.camel.Exchange;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.wechat.Commands;
import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.InboundMessage;
import io.github.oac.wechat.ReplayGuard;

/**
 * Everything the callback asks of Redis, in one round trip and one atomic step: is this signed request a replay, is
 * the message a duplicate, is the follower over the rate limit, and, for a question, the message appended to the
 * follower's inbox. Either all of it is recorded or none (Redis unreachable: 503, WeChat retries). Called as
 * {@code admission}; the answer is one of {@code replay}, {@code duplicate}, {@code full} (the follower already has
 * chat.queue.inbox-max questions waiting: not queued, and not counted against the rate limit), {@code limited},
 * {@code accepted} (a question now in the inbox) and {@code new} (anything else, answered by the callback itself).
 */
@Component("admission")
public class Admission {

    private static final RedisScript<String> ADMIT = RedisScript.of("""
            if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 'replay' end
            if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return 'duplicate' end
            if ARGV[3] ~= '1' then return 'new' end
            local inboxMax = tonumber(ARGV[7])
            if inboxMax > 0 and redis.call('LLEN', KEYS[4]) >= inboxMax then return 'full' end
            local limit = tonumber(ARGV[4])
            if limit > 0 then
              local n = redis.call('INCR', KEYS[3])
              if n == 1 then redis.call('EXPIRE', KEYS[3], 60) end
              if n > limit then return 'limited' end
            end
            redis.call('RPUSH', KEYS[4], ARGV[5])
            redis.call('SADD', KEYS[5], ARGV[6])
            return 'accepted'
            """, String.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final Commands commands;
    private final String prefix;
    private final Duration replayTtl;
    private final Duration dedupTtl;
    private final int perMinute;
    private final int inboxMax;

    public Admission(StringRedisTemplate redis, ObjectMapper json, Commands commands, ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.commands = commands;
        this.prefix = properties.redis().keyPrefix();
        this.replayTtl = properties.callback().timestampWindow().multipliedBy(2);
        this.dedupTtl = properties.callback().dedupTtl();
        this.perMinute = properties.rateLimit().perMinute();
        this.inboxMax = properties.queue().inboxMax();
    }

    public String admit(Exchange exchange) throws JsonProcessingException {
        InboundMessage message = exchange.getMessage().getBody(InboundMessage.class);
        var headers = exchange.getMessage();
        // keyed on what the signature signs, not on how it is spelled (the check ignores the hex digits' case)
        String replay = ReplayGuard.key(prefix, headers.getHeader("signature", String.class));
        String openid = message.fromUserName();
        boolean question = message.question() != null;
        // commands cost no model call, so they are never rate limited
        int limit = question && !commands.isCommand(message) ? perMinute : 0;
        return redis.execute(ADMIT,
                List.of(replay, prefix + "dedup:" + message.key(), prefix + "rate:" + openid,
                        prefix + "inbox:" + openid, prefix + "inboxes"),
                Long.toString(replayTtl.toSeconds()), Long.toString(dedupTtl.toSeconds()), question ? "1" : "0",
                Integer.toString(limit), question ? json.writeValueAsString(message) : "", openid,
                Integer.toString(inboxMax));
    }
}
