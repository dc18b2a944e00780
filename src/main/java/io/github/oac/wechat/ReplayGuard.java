package io.github.oac.wechat;

import java.time.Clock;
import java.time.Duration;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.Keys;

/**
 * A signed callback is good only near the time it was signed, and only once. In plaintext mode the signature does not
 * cover the body, so without both a captured URL could carry any body for ever. A request is identified by its
 * signature in lower case: the digest of exactly what was signed, so neither re-spelling the signature (the check
 * ignores the hex digits' case) nor re-spelling timestamp and nonce into the same signed string makes a new request. The record's key is Keys.replay: the same for a POST (spent by Admission,
 * plaintext callbacks only: in safe mode msg_signature covers the body) and a GET (here). Called as {@code replayGuard}.
 */
@Component("replayGuard")
public class ReplayGuard {

    private final Duration window;
    private final Clock clock;
    private final StringRedisTemplate redis;
    private final Keys keys;

    @Autowired
    public ReplayGuard(ChatProperties properties, StringRedisTemplate redis, Keys keys) {
        this(properties.callback().timestampWindow(), Clock.systemUTC(), redis, keys);
    }

    ReplayGuard(Duration window, Clock clock, StringRedisTemplate redis, Keys keys) {
        this.window = window;
        this.clock = clock;
        this.redis = redis;
        this.keys = keys;
    }

    /**
     * What a re-delivery of the same message has in common with the first: its body, byte for byte (SHA-256 of it). The
     * replay record of a POST holds it, so WeChat re-sending a message under the very same signed query string is told
     * from someone replaying that query string with a body of their own; the first other body locks the request.
     */
    public static String digest(String body) {
        if (body == null) {
            return "refused";
        }
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * Records this signed POST as used although it was not admitted (refused as malformed, not for the model, or
     * turned away busy), so its URL cannot carry another body later. Best effort: Redis down, the request was
     * refused anyway.
     */
    public void spend(String signature, String body) {
        if (signature == null || signature.isBlank()) {
            return;
        }
        try {
            redis.opsForValue().setIfAbsent(keys.replay(signature), digest(body), window.multipliedBy(2));
        } catch (RuntimeException redisDown) {
            // the request was not processed; nothing more to do
        }
    }

    /** Throws {@link ReplayedCallbackException} when this signed request was seen before; records it otherwise. */
    public void requireFirstUse(String signature) {
        if (!Boolean.TRUE.equals(redis.opsForValue().setIfAbsent(keys.replay(signature), "1",
                window.multipliedBy(2)))) {
            throw new ReplayedCallbackException();
        }
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

}
