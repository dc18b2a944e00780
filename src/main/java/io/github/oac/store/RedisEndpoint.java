package io.github.oac.store;

import java.io.IOException;

/**
 * Where Redis is: the configured server, the primary a set of Sentinels names or a Cluster (address null: nodes
 * change with a failover, and the connection factory follows them), or an embedded server this process owns.
 */
public final class RedisEndpoint implements AutoCloseable {

    private final RedisAddress address;
    private final EmbeddedRedis embedded;

    private RedisEndpoint(RedisAddress address, EmbeddedRedis embedded) {
        this.address = address;
        this.embedded = embedded;
    }

    static RedisEndpoint external(RedisAddress address) {
        return new RedisEndpoint(address, null);
    }

    static RedisEndpoint managed() {
        return new RedisEndpoint(null, null);
    }

    static RedisEndpoint embedded(EmbeddedRedis server) {
        return new RedisEndpoint(RedisAddress.parse(server.url()), server);
    }

    public RedisAddress address() {
        return address;
    }

    /** The server as a redis:// URL, credentials included: for clients, never for a log. Null: Sentinel, Cluster. */
    public String url() {
        return address == null ? null : address.url();
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
