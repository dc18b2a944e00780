package io.github.oac.wechat;

import java.time.Clock;
import java.time.Duration;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * A signed callback is good only near the time it was signed, and only once. In plaintext mode the signature does not
 * cover the body, so without both a captured URL could carry any body for ever. A request is identified by its
 * signature in lower case: the digest of exactly what was signed, so neither re-spelling the signature (the check
 * ignores the hex digits' case) nor re-spelling timestamp and nonce into the same signed string makes a new request. POSTs are recorded by Admission in the same Redis step as the rest of their admission; the GET
 * verification here. Called as {@code replayGuard}.
 */
@Component("replayGuard")
public class ReplayGuard {

    private final Duration window;
    private final Clock clock;
    private final StringRedisTemplate redis;
    private final String prefix;

    @Autowired
    public ReplayGuard(ChatProperties properties, StringRedisTemplate redis) {
        this(properties.callback().timestampWindow(), Clock.systemUTC(), redis, properties.redis().keyPrefix());
    }

    ReplayGuard(Duration window, Clock clock, StringRedisTemplate redis, String prefix) {
        this.window = window;
        this.clock = clock;
        this.redis = redis;
        this.prefix = prefix;
    }

    /**
     * The Redis key that records a signed request as used: the same for a POST (Admission) and a GET. Called only
     * after the signature verified, so it is 40 hex digits.
     */
    public static String key(String prefix, String signature) {
        return prefix + "replay:" + signature.toLowerCase(java.util.Locale.ROOT);
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
            redis.opsForValue().setIfAbsent(key(prefix, signature), digest(body), window.multipliedBy(2));
        } catch (RuntimeException redisDown) {
            // the request was not processed; nothing more to do
        }
    }

    /** Throws {@link ReplayedCallbackException} when this signed request was seen before; records it otherwise. */
    public void requireFirstUse(String signature) {
        if (!Boolean.TRUE.equals(redis.opsForValue().setIfAbsent(key(prefix, signature), "1",
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
