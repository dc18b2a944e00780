package io.github.oac.store;

import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * Per-follower state kept in Redis, by openid. WeChat asks that a follower's data goes when they unfollow:
 * {@link #forget} deletes every per-follower key. Called as {@code followers}.
 */
@Component("followers")
public class Followers {

    /** Every per-follower key family; a feature that stores state per openid adds its family here. */
    static final List<String> FAMILIES = List.of("memory:", "pending:", "rate:");

    private final StringRedisTemplate redis;
    private final String prefix;

    public Followers(StringRedisTemplate redis, ChatProperties properties) {
        this.redis = redis;
        this.prefix = properties.redis().keyPrefix();
    }

    public void forget(String openid) {
        if (openid != null && !openid.isBlank()) {
            redis.delete(FAMILIES.stream().map(family -> prefix + family + openid).toList());
        }
    }
}
