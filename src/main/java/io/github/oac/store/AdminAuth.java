package io.github.oac.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/** Guards the /admin routes: absent without ADMIN_TOKEN, Bearer-protected with it. Called as {@code adminAuth}. */
@Component("adminAuth")
public class AdminAuth {

    private final byte[] expected;

    public AdminAuth(ChatProperties properties) {
        String token = properties.admin().token();
        this.expected = token == null || token.isBlank() ? null
                : ("Bearer " + token.strip()).getBytes(StandardCharsets.UTF_8);
    }

    public void require(String authorization) {
        if (expected == null) {
            throw new Disabled();
        }
        if (authorization == null
                || !MessageDigest.isEqual(expected, authorization.strip().getBytes(StandardCharsets.UTF_8))) {
            throw new Refused();
        }
    }

    /** A missing or wrong Bearer token: 403. */
    public static class Refused extends RuntimeException {
        public Refused() {
            super("admin token does not match", null, false, false);
        }
    }

    /** No ADMIN_TOKEN configured: the endpoints answer 404 as if they did not exist. */
    public static class Disabled extends RuntimeException {
        public Disabled() {
            super("admin endpoints are disabled", null, false, false);
        }
    }
}
