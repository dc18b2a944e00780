package io.github.oac.wechat;

import java.time.Duration;
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

/**
 * The access token, shared by every instance through Redis. Fetched with /cgi-bin/stable_token in normal mode, which
 * hands every caller the same token while it is valid, so instances need no lock and never knock each other's token
 * out. The fetch itself is the route {@code wechat-token}; this bean only builds, reads and caches.
 */
@Component("accessTokens")
public class AccessTokens {

    // Delete only if the cache still holds the token that failed: another caller may already have cached a fresh one.
    private static final RedisScript<Long> DELETE_IF_SAME = RedisScript.of(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
            Long.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final WechatApi wechatApi;
    private final ChatProperties.Wechat wechat;
    private final String key;

    public AccessTokens(StringRedisTemplate redis, ObjectMapper json, WechatApi wechatApi,
                        ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.wechatApi = wechatApi;
        this.wechat = properties.wechat();
        this.key = properties.redis().keyPrefix() + "token:" + wechat.appId();
    }

    /** The cached token, or null when none is cached (the route then fetches one). */
    public String cached() {
        return redis.opsForValue().get(key);
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
        return token;
    }

    /** WeChat refused this token (40001/40014/42001): drop it from the cache so the next call fetches again. */
    public void forget(String token) {
        if (token != null) {
            redis.execute(DELETE_IF_SAME, List.of(key), token);
        }
    }
}
