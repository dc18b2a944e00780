package io.github.oac;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.junit.jupiter.api.Assumptions;
import org.springframework.test.context.DynamicPropertyRegistry;

import io.github.oac.store.RedisServers;

/**
 * The Redis the route tests run on: the embedded single server, or, with {@code -Doac.test.redis=sentinel} or
 * {@code cluster}, Debian's redis-server and redis-sentinel started once per test JVM (a primary, two replicas and
 * three sentinels; three primaries with a replica each), connected from Spring Boot's own settings, and as managed
 * Redis runs: TLS on every connection (the test's own certificate authority, in an SSL bundle) and an ACL user. The Surefire
 * executions on-sentinel and on-cluster (pom.xml) run the delivery, conversation and recovery tests again on each;
 * a test that needs the embedded server itself (stopping it, stalling it) says so with assumeSingleServer().
 */
enum TestTopology {
    SINGLE, SENTINEL, CLUSTER;

    private static RedisServers servers;
    private static RedisServers.Security security;
    private static final java.util.concurrent.atomic.AtomicInteger CONTEXTS = new java.util.concurrent.atomic.AtomicInteger();

    static TestTopology current() {
        return valueOf(System.getProperty("oac.test.redis", "single").toUpperCase(Locale.ROOT));
    }

    /** Skips the test on Sentinel and Cluster: it stops or stalls the embedded server. */
    static void assumeSingleServer() {
        Assumptions.assumeTrue(current() == SINGLE, "stops or stalls the embedded Redis server");
    }

    /** Points the context at this topology's servers (none to add for the embedded one). */
    static void register(DynamicPropertyRegistry registry) {
        switch (current()) {
            case SINGLE -> { }
            case SENTINEL -> {
                RedisServers sentinel = servers();
                registry.add("spring.data.redis.sentinel.master", () -> RedisServers.MASTER);
                registry.add("spring.data.redis.sentinel.nodes", sentinel::sentinelNodes);
                secured(registry);
                ownKeys(registry);
            }
            case CLUSTER -> {
                registry.add("spring.data.redis.cluster.nodes", servers()::clusterNodes);
                secured(registry);
                ownKeys(registry);
            }
        }
    }

    /**
     * Each context its own key prefix: the contexts Spring keeps for the test classes share these servers, and one
     * with other settings (push, say, where another expects auto) would otherwise answer the other's followers.
     */
    private static void ownKeys(DynamicPropertyRegistry registry) {
        int context = CONTEXTS.incrementAndGet();
        registry.add("chat.redis.key-prefix", () -> "oac" + context + ":");
    }

    private static void secured(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.username", security::user);
        registry.add("spring.data.redis.password", security::password);
        registry.add("spring.ssl.bundle.pem.test-redis.truststore.certificate",
                () -> "file:" + security.caCertificate());
        registry.add("spring.data.redis.ssl.bundle", () -> "test-redis");
    }

    private static synchronized RedisServers servers() {
        if (servers == null) {
            Assumptions.assumeTrue(RedisServers.installed(), "Debian's redis-server and redis-sentinel");
            try {
                Path dir = Files.createDirectories(Path.of("target/test-redis/"
                        + current().name().toLowerCase(Locale.ROOT) + "-" + System.nanoTime()));
                security = RedisServers.Security.create(dir);
                servers = current() == SENTINEL ? RedisServers.sentinel(dir, security)
                        : RedisServers.cluster(dir, security);
            } catch (Exception failed) {
                throw new IllegalStateException("could not start Redis for " + current(), failed);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(servers::close)); // after the contexts close
        }
        return servers;
    }
}
