package io.github.oac.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.ZSetOperations;
import org.springframework.stereotype.Component;

import io.github.oac.wechat.Follower;

/**
 * What the model spent on each follower, per account and day (a sorted set of OpenIDs by tokens, {@code usage:<yyyyMMdd>}
 * under the account's hash tag), kept for chat.usage.retention: the console's top followers by tokens today. Called
 * by chat/DailyQuotas and ops/ConsoleStats.
 */
@Component
public class UsageLedger {

    /** usage-add.lua. */
    record Add(String usage, String openid, String tokens, String ttl) implements Script.Call {
        public List<String> keys() {
            return List.of(usage);
        }

        public List<String> args() {
            return List.of(openid, tokens, ttl);
        }
    }

    /** One follower's tokens of the day. */
    public record Spent(String openid, long tokens) {
    }

    private static final Script<Add, Long> ADD = Script.of("usage-add", Long.class);

    private final StringRedisTemplate redis;
    private final Keys keys;

    public UsageLedger(StringRedisTemplate redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    /** Adds the tokens to the follower's usage of that day; their day's tokens so far. */
    public long add(Follower follower, String day, long tokens, Duration kept) {
        Long total = ADD.run(redis, new Add(keys.forAccount(follower.account()).usage(day), follower.openid(),
                Long.toString(tokens), Script.millis(kept)));
        return total == null ? 0 : total;
    }

    /** The account's followers who spent the most that day, most first, at most limit. */
    public List<Spent> top(String account, String day, int limit) {
        Set<ZSetOperations.TypedTuple<String>> top = redis.opsForZSet()
                .reverseRangeWithScores(keys.forAccount(account).usage(day), 0, limit - 1L);
        List<Spent> spent = new ArrayList<>();
        if (top != null) {
            for (ZSetOperations.TypedTuple<String> one : top) {
                spent.add(new Spent(one.getValue(), one.getScore() == null ? 0 : one.getScore().longValue()));
            }
        }
        return spent;
    }
}
