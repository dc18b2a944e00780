package io.github.oac.store;

import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.Follower;

/**
 * Per-follower state kept in Redis, by openid. WeChat asks that a follower's data goes when they unfollow:
 * {@link #forget} removes what predates the unsubscribe event: in one atomic step on their keys, their queued
 * messages with the progress and reply records of those messages, answers owed for them, the conversation, the rest
 * of a long answer, the rate count and the lease (a turn still in flight then fails its lease checks and writes
 * nothing more); then the text of their dead letters. A message they sent after following again stays, and is answered. Called as
 * {@code followers}.
 */
@Component("followers")
public class Followers {

    /** forget.lua. */
    record Forget(String waiting, String inbox, String lease, String memory, String pending, String outbox,
                  String rate, String marker, String openid, String createTime, String arrivedAt,
                  String progressPrefix, String replyPrefix, String markerTtl, String photo) implements Script.Call {
        public List<String> keys() {
            return List.of(waiting, inbox, lease, memory, pending, outbox, rate, marker, photo);
        }

        public List<String> args() {
            return List.of(openid, createTime, arrivedAt, progressPrefix, replyPrefix, markerTtl);
        }
    }

    /** forget-letters.lua. */
    record ForgetLetters(String letters, String followersLetters) implements Script.Call {
        public List<String> keys() {
            return List.of(letters, followersLetters);
        }

        public List<String> args() {
            return List.of();
        }
    }

    private static final Script<Forget, Long> FORGET = Script.of("forget", Long.class);
    private static final Script<ForgetLetters, Long> FORGET_LETTERS = Script.of("forget-letters", Long.class);

    private final StringRedisTemplate redis;
    private final Keys keys;
    private final String markerTtl;

    public Followers(StringRedisTemplate redis, Keys keys, ChatProperties properties) {
        this.redis = redis;
        this.keys = keys;
        this.markerTtl = Long.toString(properties.callback().dedupTtl().toMillis());
    }

    /**
     * Forgets what the follower left before the unsubscribe event created at createTime (WeChat's seconds) that
     * reached the service at arrivedAt (epoch ms): first their own keys (one step), then the text of their dead
     * letters (a second step: the dead letters are the account's, not the follower's). Idempotent: WeChat
     * re-delivering the event, or a retry after a failure in between, removes nothing more.
     */
    public void forget(Follower follower, String createTime, long arrivedAt) {
        String openid = follower.openid();
        if (openid == null || openid.isBlank()) {
            return;
        }
        Keys keys = this.keys.of(follower);
        FORGET.run(redis, new Forget(keys.waiting(openid), keys.inbox(openid), keys.owner(openid),
                keys.memory(openid), keys.pending(openid), keys.outbox(openid), keys.rate(openid),
                keys.left(openid), openid, createTime == null ? "0" : createTime.strip(), Long.toString(arrivedAt),
                keys.progressPrefix(openid), keys.replyPrefix(openid), markerTtl, keys.photo(openid)));
        FORGET_LETTERS.run(redis, new ForgetLetters(keys.deadLetters(), keys.deadLettersOf(openid)));
    }
}
