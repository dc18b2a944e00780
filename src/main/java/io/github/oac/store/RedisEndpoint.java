package io.github.oac.store;

import java.io.IOException;

/** Where Redis is: the configured REDIS_URL, or an embedded server this process owns. */
public final class RedisEndpoint implements AutoCloseable {

    private final String url;
    private final EmbeddedRedis embedded;

    private RedisEndpoint(String url, EmbeddedRedis embedded) {
        this.url = url;
        this.embedded = embedded;
    }

    static RedisEndpoint external(String url) {
        return new RedisEndpoint(url, null);
    }

    static RedisEndpoint embedded(EmbeddedRedis server) {
        return new RedisEndpoint(server.url(), server);
    }

    public String url() {
        return url;
    }

    /** The embedded server, when this process runs one (tests stop and restart it to simulate an outage). */
    public java.util.Optional<EmbeddedRedis> embedded() {
        return java.util.Optional.ofNullable(embedded);
    }

    @Override
    public void close() throws IOException {
        if (embedded != null) {
            embedded.close();
        }
    }
}
