package io.github.oac.wechat;

import java.time.Clock;
import java.time.Duration;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * A signed callback is good for one use, and only near the time it was signed. In plaintext mode the signature does
 * not cover the body, so without this a captured URL could carry any body for ever. The record of used
 * (timestamp, nonce, signature) lives in Redis, shared by all instances. Called as {@code replayGuard}.
 */
@Component("replayGuard")
public class ReplayGuard {

    private final StringRedisTemplate redis;
    private final Duration window;
    private final String prefix;
    private final Clock clock;

    @Autowired
    public ReplayGuard(StringRedisTemplate redis, ChatProperties properties) {
        this(redis, properties, Clock.systemUTC());
    }

    ReplayGuard(StringRedisTemplate redis, ChatProperties properties, Clock clock) {
        this.redis = redis;
        this.window = properties.callback().timestampWindow();
        this.prefix = properties.redis().keyPrefix() + "replay:";
        this.clock = clock;
    }

    /** Throws {@link StaleCallbackException} unless timestamp is within the window of now, either side. */
    public void requireFresh(String timestamp) {
        long seconds;
        try {
            seconds = Long.parseLong(timestamp == null ? "" : timestamp.trim());
        } catch (NumberFormatException e) {
            throw new StaleCallbackException();
        }
        if (Math.abs(clock.instant().getEpochSecond() - seconds) > window.toSeconds()) {
            throw new StaleCallbackException();
        }
    }

    /** True when this signed request was seen before; records it otherwise (one SET NX). */
    public boolean replayed(String timestamp, String nonce, String signature) {
        Boolean first = redis.opsForValue().setIfAbsent(key(timestamp, nonce, signature), "1", window.multipliedBy(2));
        return !Boolean.TRUE.equals(first);
    }

    /** The callback failed (503): let WeChat's retry of this very request through. Best effort. */
    public void release(String timestamp, String nonce, String signature) {
        if (timestamp == null || nonce == null || signature == null) {
            return;
        }
        try {
            redis.delete(key(timestamp, nonce, signature));
        } catch (RuntimeException redisDown) {
            // then the marker most likely was never written either
        }
    }

    private String key(String timestamp, String nonce, String signature) {
        return prefix + timestamp + ":" + nonce + ":" + signature;
    }
}
