package io.github.oac.wechat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.Keys;

/**
 * The access token, shared by every instance through Redis and kept in this process's memory too, so a send costs
 * no Redis round trip. Fetched with /cgi-bin/stable_token in normal mode, which hands every caller the same token
 * while it is valid, so instances need no lock and never knock each other's token out. The fetch itself is the
 * route {@code wechat-token}; this bean only builds, reads and caches.
 */
@Component("accessTokens")
public class AccessTokens {

    // Delete only if the cache still holds the token that failed: another caller may already have cached a fresh one.
    private static final RedisScript<Long> DELETE_IF_SAME = RedisScript.of(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
            Long.class);

    // The token with its remaining life in one round trip, so memory keeps it exactly as long as Redis does.
    private static final RedisScript<List> GET_WITH_TTL = RedisScript.of("""
            local token = redis.call('GET', KEYS[1])
            if not token then return {} end
            return {token, tostring(redis.call('PTTL', KEYS[1]))}
            """, List.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final WechatApi wechatApi;
    private final ChatProperties.Wechat wechat;
    private final String key;
    private final Clock clock = Clock.systemUTC();
    /** This process's copy: the token and when it stops being used. */
    private volatile Cached memory;

    private record Cached(String token, Instant until) {
    }

    public AccessTokens(StringRedisTemplate redis, ObjectMapper json, WechatApi wechatApi, Keys keys,
                        ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.wechatApi = wechatApi;
        this.wechat = properties.wechat();
        this.key = keys.token(wechat.appId());
    }

    /** The cached token (memory, else Redis), or null when none is cached (the route then fetches one). */
    public String cached() {
        Cached cached = memory;
        if (cached != null && clock.instant().isBefore(cached.until())) {
            return cached.token();
        }
        List<?> shared = redis.execute(GET_WITH_TTL, List.of(key));
        if (shared == null || shared.size() < 2) {
            return null;
        }
        String token = (String) shared.get(0);
        memory = new Cached(token, clock.instant().plusMillis(Long.parseLong((String) shared.get(1))));
        return token;
    }

    /** Body of the stable_token request. Holds the AppSecret: never log it. */
    public String stableTokenRequest() throws JsonProcessingException {
        return json.writeValueAsString(Map.of(
                "grant_type", "client_credential",
                "appid", wechat.appId(),
                "secret", wechat.appSecret(),
                "force_refresh", false));
    }

    /** Reads the stable_token answer, caches the token until shortly before it expires, and returns it. */
    public String store(Exchange exchange) throws JsonProcessingException {
        wechatApi.check(exchange);
        JsonNode answer = json.readTree(exchange.getMessage().getBody(String.class));
        String token = answer.path("access_token").asText("");
        if (token.isEmpty()) {
            throw new WechatApiException(WechatApi.UNREADABLE, "stable_token answer has no access_token", 200);
        }
        Duration lifetime = Duration.ofSeconds(answer.path("expires_in").asLong(7200));
        Duration ttl = lifetime.minus(wechat.tokenRefreshMargin());
        if (ttl.compareTo(Duration.ofSeconds(30)) < 0) {
            ttl = Duration.ofSeconds(30);
        }
        redis.opsForValue().set(key, token, ttl);
        memory = new Cached(token, clock.instant().plus(ttl));
        return token;
    }

    /** WeChat refused this token (40001/40014/42001): drop it from the cache so the next call fetches again. */
    public void forget(String token) {
        if (token != null) {
            Cached cached = memory;
            if (cached != null && cached.token().equals(token)) {
                memory = null;
            }
            redis.execute(DELETE_IF_SAME, List.of(key), token);
        }
    }
}
