package io.github.oac.wechat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.store.Keys;
import io.github.oac.store.Script;

/**
 * Each account's access token, shared by every instance through Redis (one key per AppID) and kept in this
 * process's memory too, so a send costs no Redis round trip. Fetched with /cgi-bin/stable_token in normal mode, which
 * hands every caller the same token while it is valid, so instances need no lock and never knock each other's token
 * out. The fetch itself is the route {@code wechat-token}; this bean only builds, reads and caches, for the account
 * of the follower the call is for (the default one for null).
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
    private final Clock clock = Clock.systemUTC();
    private final Duration fetchWait;
    /** Each account's token, by account name. */
    private final Accounts.PerAccount<Token> tokens;

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

    /** One account's token: where Redis keeps it, this process's copy, the tokens refused, the fetch in flight. */
    private static final class Token {
        private final Accounts.Settings account;
        private final String key;
        /** This process's copy: the token and when it stops being used. */
        private volatile Cached memory;
        /** Tokens WeChat refused lately, newest last (a few: a token lives two hours, and few are refused). */
        private final BoundedSet refused = new BoundedSet(16);
        /** One fetch of a new token at a time in this process (the route wechat-token). */
        private final ReentrantLock fetching = new ReentrantLock();

        Token(Accounts.Settings account, String key) {
            this.account = account;
            this.key = key;
        }
    }

    public AccessTokens(StringRedisTemplate redis, ObjectMapper json, WechatApi wechatApi, Keys keys,
                        Accounts accounts, ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.wechatApi = wechatApi;
        this.wechat = properties.wechat();
        this.tokens = accounts.each(account -> new Token(account, keys.token(account.appId())));
        // a fetch in flight takes at most its connect and answer timeouts
        this.fetchWait = wechat.connectTimeout().plus(wechat.timeout()).plusSeconds(1);
    }

    private Token of(Follower follower) {
        return tokens.of(follower == null ? null : follower.account());
    }

    /**
     * The cached token of the follower's account (memory, else Redis), or null when none is cached (the route then
     * fetches one). A token WeChat refused is never taken for one, however late a read of it comes back.
     */
    public String cached(Follower follower) {
        Token account = of(follower);
        Cached cached = account.memory;
        if (cached != null && clock.instant().isBefore(cached.until())) {
            return cached.token();
        }
        List<?> shared = GET_WITH_TTL.run(redis, new ReadToken(account.key));
        if (shared == null || shared.size() < 2) {
            return null;
        }
        String token = (String) shared.get(0);
        Cached read = new Cached(token, clock.instant().plusMillis(Long.parseLong((String) shared.get(1))));
        synchronized (account) {
            // forget() may have run while Redis answered: a refused token must not come back into memory
            if (account.refused.contains(token)) {
                return null;
            }
            account.memory = read;
        }
        return token;
    }

    /**
     * Whose turn it is to fetch the account's token: waits while another call of this process fetches one, then
     * returns the token it got, or null when none is cached: this call fetches, and must call {@link #fetched} when
     * done. So however many sends find the token refused at once, one stable_token request per instance and account
     * replaces it.
     */
    public String fetchTurn(Follower follower) throws InterruptedException, AccessTokenUnavailableException {
        Token account = of(follower);
        if (!account.fetching.tryLock(fetchWait.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AccessTokenUnavailableException("another fetch of the access token is still under way");
        }
        String token;
        try {
            token = cached(follower);
        } catch (RuntimeException redisFailed) {
            account.fetching.unlock();
            throw redisFailed;
        }
        if (token != null) {
            account.fetching.unlock();
        }
        return token;
    }

    /** The fetch this call's {@link #fetchTurn} gave it is over, with a token or without. */
    public void fetched(Follower follower) {
        ReentrantLock fetching = of(follower).fetching;
        if (fetching.isHeldByCurrentThread()) {
            fetching.unlock();
        }
    }

    /** Body of the stable_token request, with the account's AppID and AppSecret: never log it. */
    public String stableTokenRequest(Follower follower) throws JsonProcessingException {
        Accounts.Settings account = of(follower).account;
        return json.writeValueAsString(Map.of(
                "grant_type", "client_credential",
                "appid", account.appId(),
                "secret", account.appSecret(),
                "force_refresh", false));
    }

    /**
     * Reads the stable_token answer (body, with its HTTP status), caches the account's token until shortly before
     * it expires, and returns it.
     */
    public String store(Follower follower, String body, Integer status) throws JsonProcessingException {
        wechatApi.outcome(body, status, "again");
        Token account = of(follower);
        JsonNode answer = json.readTree(body);
        String token = answer.path("access_token").asText("");
        if (token.isEmpty()) {
            throw new WechatApiException(WechatApi.UNREADABLE, "stable_token answer has no access_token", 200);
        }
        Duration lifetime = Duration.ofSeconds(answer.path("expires_in").asLong(7200));
        Duration ttl = lifetime.minus(wechat.tokenRefreshMargin());
        if (ttl.compareTo(Duration.ofSeconds(30)) < 0) {
            ttl = Duration.ofSeconds(30);
        }
        redis.opsForValue().set(account.key, token, ttl);
        synchronized (account) {
            account.refused.remove(token); // WeChat hands it out as the current one: whatever refused it was not
            account.memory = new Cached(token, clock.instant().plus(ttl));
        }
        return token;
    }

    /** WeChat refused this token (40001/40014/42001): drop it from the cache so the next call fetches again. */
    public void forget(Follower follower, String token) {
        if (token != null) {
            Token account = of(follower);
            synchronized (account) {
                account.refused.add(token);
                Cached cached = account.memory;
                if (cached != null && cached.token().equals(token)) {
                    account.memory = null;
                }
            }
            DELETE_IF_SAME.run(redis, new Script.DeleteIfSame(account.key, token));
        }
    }
}
