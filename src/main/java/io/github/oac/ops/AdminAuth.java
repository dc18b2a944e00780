package io.github.oac.ops;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * Guards the /admin routes: absent without ADMIN_TOKEN, Bearer-protected with it. A client address that sent
 * chat.admin.failures-per-minute wrong tokens is refused (429) for the rest of that minute, whatever it sends, so the
 * token cannot be guessed at speed; refusals are logged once a minute, as a count, not once per attempt. Called as
 * {@code adminAuth}.
 */
@Component("adminAuth")
public class AdminAuth {

    private static final Logger LOG = LoggerFactory.getLogger(AdminAuth.class);
    private static final long MINUTE_MILLIS = 60_000;
    /** Addresses tracked at once; beyond it, windows that are over are dropped first, then all (a flood of them). */
    private static final int MAX_TRACKED = 10_000;

    private final byte[] expected;
    private final int failuresPerMinute;
    private final Map<String, Window> failures = new ConcurrentHashMap<>();
    private final AtomicLong refusedSinceLog = new AtomicLong();
    private final AtomicLong lastLog = new AtomicLong(-MINUTE_MILLIS);

    /** Wrong tokens from one address since start (epoch ms). */
    private record Window(long start, int count) {
        boolean over(long now) {
            return now - start >= MINUTE_MILLIS;
        }
    }

    public AdminAuth(ChatProperties properties) {
        String token = properties.admin().token();
        this.expected = token == null || token.isBlank() ? null
                : ("Bearer " + token.strip()).getBytes(StandardCharsets.UTF_8);
        this.failuresPerMinute = Math.max(1, properties.admin().failuresPerMinute());
    }

    /** The request's Authorization header, from this client address. */
    public void require(String authorization, String client) {
        if (expected == null) {
            throw new Disabled();
        }
        long now = System.currentTimeMillis();
        String address = client == null ? "" : client;
        Window window = failures.get(address);
        if (window != null && !window.over(now) && window.count() >= failuresPerMinute) {
            refused(now);
            throw new Limited();
        }
        if (authorization == null
                || !MessageDigest.isEqual(expected, authorization.strip().getBytes(StandardCharsets.UTF_8))) {
            if (failures.size() >= MAX_TRACKED) {
                failures.values().removeIf(old -> old.over(now));
                if (failures.size() >= MAX_TRACKED) {
                    failures.clear();
                }
            }
            failures.merge(address, new Window(now, 1),
                    (old, first) -> old.over(now) ? first : new Window(old.start(), old.count() + 1));
            refused(now);
            throw new Refused();
        }
    }

    /** Counts a refusal; the first one after a quiet minute logs how many there were since the last line. */
    private void refused(long now) {
        long count = refusedSinceLog.incrementAndGet();
        long last = lastLog.get();
        if (now - last >= MINUTE_MILLIS && lastLog.compareAndSet(last, now)) {
            refusedSinceLog.addAndGet(-count);
            long limited = failures.values().stream()
                    .filter(window -> !window.over(now) && window.count() >= failuresPerMinute).count();
            LOG.warn("Refused {} admin request(s) without the right token since the last such line; {} client "
                    + "address(es) limited for the rest of their minute", count, limited);
        }
    }

    /** A missing or wrong Bearer token: 403. */
    public static class Refused extends RuntimeException {
        public Refused() {
            super("admin token does not match", null, false, false);
        }
    }

    /** Too many wrong tokens from this address this minute: 429, whatever this request carries. */
    public static class Limited extends RuntimeException {
        public Limited() {
            super("too many wrong admin tokens from this address", null, false, false);
        }
    }

    /** No ADMIN_TOKEN configured: the endpoints answer 404 as if they did not exist. */
    public static class Disabled extends RuntimeException {
        public Disabled() {
            super("admin endpoints are disabled", null, false, false);
        }
    }
}
