package io.github.oac.wechat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.camel.Exchange;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.Keys;
import io.github.oac.store.Script;

/**
 * The access token, shared by every instance through Redis and kept in this process's memory too, so a send costs
 * no Redis round trip. Fetched with /cgi-bin/stable_token in normal mode, which hands every caller the same token
 * while it is valid, so instances need no lock and never knock each other's token out. The fetch itself is the
 * route {@code wechat-token}; this bean only builds, reads and caches.
 */
@Component("accessTokens")
public class AccessTokens {

    // Delete only if the cache still holds the token that failed: another caller may already have cached a fresh one.
    private static final Script<Script.DeleteIfSame, Long> DELETE_IF_SAME = Script.of("delete-if-same", Long.class);

    // The token with its remaining life in one round trip, so memory keeps it exactly as long as Redis does.
    /** token.lua. */
    record ReadToken(String key) implements Script.Call {
        public List<String> keys() {
            return List.of(key);
        }

        public List<String> args() {
            return List.of();
        }
    }

    @SuppressWarnings("rawtypes")
    private static final Script<ReadToken, List> GET_WITH_TTL = Script.of("token", List.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final WechatApi wechatApi;
    private final ChatProperties.Wechat wechat;
    private final String key;
    private final Clock clock = Clock.systemUTC();
    /** This process's copy: the token and when it stops being used. */
    private volatile Cached memory;
    /** Tokens WeChat refused lately, newest last (a few: a token lives two hours, and few are refused). */
    private final BoundedSet refused = new BoundedSet(16);
    /** One fetch of a new token at a time in this process (the route wechat-token). */
    private final ReentrantLock fetching = new ReentrantLock();
    private final Duration fetchWait;

    /** Remembers the last few tokens added, in order; the oldest goes first. */
    private static final class BoundedSet extends java.util.LinkedHashSet<String> {
        private final int capacity;

        BoundedSet(int capacity) {
            this.capacity = capacity;
        }

        @Override
        public boolean add(String token) {
            remove(token);
            boolean added = super.add(token);
            if (size() > capacity) {
                remove(iterator().next());
            }
            return added;
        }
    }

    private record Cached(String token, Instant until) {
    }

    public AccessTokens(StringRedisTemplate redis, ObjectMapper json, WechatApi wechatApi, Keys keys,
                        ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.wechatApi = wechatApi;
        this.wechat = properties.wechat();
        this.key = keys.token(wechat.appId());
        // a fetch in flight takes at most its connect and answer timeouts
        this.fetchWait = wechat.connectTimeout().plus(wechat.timeout()).plusSeconds(1);
    }

    /**
     * The cached token (memory, else Redis), or null when none is cached (the route then fetches one). A token WeChat
     * refused is never taken for one, however late a read of it comes back.
     */
    public String cached() {
        Cached cached = memory;
        if (cached != null && clock.instant().isBefore(cached.until())) {
            return cached.token();
        }
        List<?> shared = GET_WITH_TTL.run(redis, new ReadToken(key));
        if (shared == null || shared.size() < 2) {
            return null;
        }
        String token = (String) shared.get(0);
        Cached read = new Cached(token, clock.instant().plusMillis(Long.parseLong((String) shared.get(1))));
        synchronized (this) {
            // forget() may have run while Redis answered: a refused token must not come back into memory
            if (refused.contains(token)) {
                return null;
            }
            memory = read;
        }
        return token;
    }

    /**
     * Whose turn it is to fetch a token: waits while another call of this process fetches one, then returns the
     * token it got, or null when none is cached: this call fetches, and must call {@link #fetched()} when done. So
     * however many sends find the token refused at once, one stable_token request per instance replaces it.
     */
    public String fetchTurn() throws InterruptedException, AccessTokenUnavailableException {
        if (!fetching.tryLock(fetchWait.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AccessTokenUnavailableException("another fetch of the access token is still under way");
        }
        String token;
        try {
            token = cached();
        } catch (RuntimeException redisFailed) {
            fetching.unlock();
            throw redisFailed;
        }
        if (token != null) {
            fetching.unlock();
        }
        return token;
    }

    /** The fetch this call's {@link #fetchTurn()} gave it is over, with a token or without. */
    public void fetched() {
        if (fetching.isHeldByCurrentThread()) {
            fetching.unlock();
        }
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
        synchronized (this) {
            refused.remove(token); // WeChat hands it out as the current one: whatever refused it was not the token
            memory = new Cached(token, clock.instant().plus(ttl));
        }
        return token;
    }

    /** WeChat refused this token (40001/40014/42001): drop it from the cache so the next call fetches again. */
    public void forget(String token) {
        if (token != null) {
            synchronized (this) {
                refused.add(token);
                Cached cached = memory;
                if (cached != null && cached.token().equals(token)) {
                    memory = null;
                }
            }
            DELETE_IF_SAME.run(redis, new Script.DeleteIfSame(key, token));
        }
    }
}
