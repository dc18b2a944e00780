package io.github.oac.store;

import java.time.Duration;
import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.wechat.Follower;

/**
 * A follower's questions and tokens of one day, in one hash under their hash tag ({@code quota:<yyyyMMdd>}), with
 * the messages counted, so that a turn resumed after a crash counts nothing twice. Kept past the day's end, then
 * gone; unfollowing does not reset it. Called by chat/DailyQuotas.
 */
@Component
public class QuotaCounts {

    /** quota-take.lua. */
    record Take(String quota, String msgKey, String maxQuestions, String maxTokens, String ttl) implements Script.Call {
        public List<String> keys() {
            return List.of(quota);
        }

        public List<String> args() {
            return List.of(msgKey, maxQuestions, maxTokens, ttl);
        }
    }

    /** quota-spend.lua. */
    record Spend(String quota, String msgKey, String tokens, String ttl) implements Script.Call {
        public List<String> keys() {
            return List.of(quota);
        }

        public List<String> args() {
            return List.of(msgKey, tokens, ttl);
        }
    }

    private static final Script<Take, Long> TAKE = Script.of("quota-take", Long.class);
    private static final Script<Spend, Long> SPEND = Script.of("quota-spend", Long.class);

    private final StringRedisTemplate redis;
    private final Keys keys;

    public QuotaCounts(StringRedisTemplate redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    /**
     * Counts the message's question on that day, unless the day's questions or tokens reached their limit (0: none):
     * true when it may be asked (also when it was counted before).
     */
    public boolean take(Follower follower, String day, String msgKey, int maxQuestions, int maxTokens, Duration ttl) {
        Long taken = TAKE.run(redis, new Take(keys.of(follower).quota(follower.openid(), day), msgKey,
                Integer.toString(maxQuestions), Integer.toString(maxTokens), Script.millis(ttl)));
        return taken != null && taken == 1;
    }

    /** Counts the tokens the model spent on the message's answer, once; the day's tokens so far. */
    public long spend(Follower follower, String day, String msgKey, long tokens, Duration ttl) {
        Long total = SPEND.run(redis, new Spend(keys.of(follower).quota(follower.openid(), day), msgKey,
                Long.toString(tokens), Script.millis(ttl)));
        return total == null ? 0 : total;
    }

    /** The follower's questions and tokens that day: [questions, tokens]. */
    public long[] counted(Follower follower, String day) {
        List<Object> both = redis.opsForHash().multiGet(keys.of(follower).quota(follower.openid(), day),
                List.of("questions", "tokens"));
        return new long[] {number(both.get(0)), number(both.get(1))};
    }

    /** Forgets what the follower asked and spent that day; whether anything was counted. */
    public boolean lift(Follower follower, String day) {
        return Boolean.TRUE.equals(redis.delete(keys.of(follower).quota(follower.openid(), day)));
    }

    private static long number(Object value) {
        return value == null ? 0 : Long.parseLong(value.toString());
    }
}
