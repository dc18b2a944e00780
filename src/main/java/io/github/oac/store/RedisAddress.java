package io.github.oac.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where one Redis server is and how to log in to it: from a redis:// or rediss:// URL, or from Spring Boot's
 * spring.data.redis.* settings. Nothing it says, its errors included, ever shows the password or the user name.
 */
public record RedisAddress(String host, int port, String username, String password, int database, boolean ssl) {

    public static final int DEFAULT_PORT = 6379;

    /**
     * Reads redis[s]://[[user]:password@]host[:port][/database]. A URL that is not one throws an
     * IllegalArgumentException whose message names what is wrong and shows the URL with its credentials masked.
     */
    public static RedisAddress parse(String url) {
        String shown = masked(url);
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            // e.getMessage() would quote the whole input, password and all
            throw new IllegalArgumentException("is not a valid URL (" + e.getReason() + ", at character "
                    + e.getIndex() + "): " + shown + PERCENT_ENCODE);
        }
        String scheme = uri.getScheme();
        if (!"redis".equalsIgnoreCase(scheme) && !"rediss".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException("must start with redis:// or rediss://: " + shown);
        }
        if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("names no host, or has a query or fragment: " + shown
                    + PERCENT_ENCODE);
        }
        String path = uri.getRawPath();
        int database = 0;
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            if (!path.matches("/[0-9]{1,5}")) {
                throw new IllegalArgumentException("has a path that is not a database number: " + shown
                        + PERCENT_ENCODE);
            }
            database = Integer.parseInt(path.substring(1));
        }
        String username = null;
        String password = null;
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            try {
                if (colon < 0) {
                    password = decode(userInfo); // redis://secret@host: a password alone, as Spring Boot reads it
                } else {
                    username = colon == 0 ? null : decode(userInfo.substring(0, colon));
                    password = decode(userInfo.substring(colon + 1));
                }
            } catch (IllegalArgumentException brokenEscape) {
                throw new IllegalArgumentException("has a broken %-escape in its credentials: " + shown);
            }
        }
        return new RedisAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : DEFAULT_PORT, username, password,
                database, "rediss".equalsIgnoreCase(scheme));
    }

    private static final String PERCENT_ENCODE =
            " (characters such as / ? # @ ^ % or a space in a password must be percent-encoded, e.g. / as %2F)";

    /** The URL with everything between the scheme and the last @ (user and password) replaced by ***. */
    public static String masked(String url) {
        if (url == null) {
            return "";
        }
        int scheme = url.indexOf("://");
        int at = url.lastIndexOf('@');
        if (at < 0) {
            return url.strip();
        }
        return (scheme >= 0 && scheme < at ? url.substring(0, scheme + 3) : "") + "***@" + url.substring(at + 1).strip();
    }

    /** A redis:// URL for this address, credentials percent-encoded (for clients that take a URL). */
    public String url() {
        StringBuilder url = new StringBuilder(ssl ? "rediss://" : "redis://");
        if (password != null) {
            url.append(username == null ? "" : encode(username)).append(':').append(encode(password)).append('@');
        }
        return url.append(host.contains(":") ? "[" + host + "]" : host).append(':').append(port).append('/')
                .append(database).toString();
    }

    @Override
    public String toString() {
        return (ssl ? "rediss://" : "redis://") + (password == null ? "" : "***@") + host + ":" + port + "/" + database;
    }

    private static String decode(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
