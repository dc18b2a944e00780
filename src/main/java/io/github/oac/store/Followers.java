package io.github.oac.store;

import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * Per-follower state kept in Redis, by openid. WeChat asks that a follower's data goes when they unfollow:
 * {@link #forget} removes, in one atomic step, what predates the unsubscribe event: their queued messages with the
 * progress and reply records of those messages, answers owed for them, the conversation, the rest of a long answer,
 * the rate count and the lease (a turn still in flight then fails its lease checks and writes nothing more), and the
 * text of their dead letters. A message they sent after following again stays, and is answered. Called as
 * {@code followers}.
 */
@Component("followers")
public class Followers {

    /** forget.lua. */
    record Forget(String followers, String inbox, String lease, String memory, String pending, String outbox,
                  String rate, String marker, String letters, String followersLetters, String openid,
                  String createTime, String arrivedAt, String prefix, String markerTtl) implements Script.Call {
        public List<String> keys() {
            return List.of(followers, inbox, lease, memory, pending, outbox, rate, marker, letters, followersLetters);
        }

        public List<String> args() {
            return List.of(openid, createTime, arrivedAt, prefix, markerTtl);
        }
    }

    private static final Script<Forget, Long> FORGET = Script.of("forget", Long.class);

    private final StringRedisTemplate redis;
    private final String prefix;
    private final String markerTtl;

    public Followers(StringRedisTemplate redis, ChatProperties properties) {
        this.redis = redis;
        this.prefix = properties.redis().keyPrefix();
        this.markerTtl = Long.toString(properties.callback().dedupTtl().toMillis());
    }

    /**
     * Forgets what the follower left before the unsubscribe event created at createTime (WeChat's seconds) that
     * reached the service at arrivedAt (epoch ms). Idempotent: WeChat re-delivering the event, or a retry after a
     * failure, removes nothing more.
     */
    public void forget(String openid, String createTime, long arrivedAt) {
        if (openid == null || openid.isBlank()) {
            return;
        }
        FORGET.run(redis, new Forget(prefix + "inboxes", prefix + "inbox:" + openid, prefix + "owner:" + openid,
                prefix + "memory:" + openid, prefix + "pending:" + openid, prefix + "outbox:" + openid,
                prefix + "rate:" + openid, prefix + "left:" + openid, prefix + "dead", prefix + "dead:of:" + openid,
                openid, createTime == null ? "0" : createTime.strip(), Long.toString(arrivedAt), prefix, markerTtl));
    }
}
