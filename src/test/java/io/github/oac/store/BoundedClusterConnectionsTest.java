package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.jedis.JedisClientConfiguration;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * A call to a shard whose primary is gone gives up after the retry budget, not after Jedis's default of read timeout
 * × attempts: on a Cluster a turn or the lease heartbeat is held up by a failing shard for at most about
 * chat.redis.timeout, never for as long as a lease lasts (the fault run's duplicate). Debian's redis-server, a Cluster
 * of three primaries with a replica each, told not to take over (a stopped one would itself hold the client up
 * when asked for the layout).
 */
class BoundedClusterConnectionsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2); // chat.redis.timeout's default

    @Test
    void aCallToAShardWithoutItsPrimaryFailsWithinTheRetryBudgetNotAfterEveryAttempt() throws Exception {
        Assumptions.assumeTrue(RedisServers.installed(), "Debian's redis-server");
        Path dir = Files.createDirectories(Path.of("target/test-redis/bounded-cluster-" + System.nanoTime()));
        try (RedisServers servers = RedisServers.cluster(dir)) {
            RedisClusterConfiguration nodes = new RedisClusterConfiguration(List.of(servers.clusterNodes().split(",")));
            nodes.setMaxRedirects(5);
            JedisClientConfiguration client = JedisClientConfiguration.builder().connectTimeout(TIMEOUT)
                    .readTimeout(TIMEOUT).usePooling().build();
            BoundedClusterConnections connections = new BoundedClusterConnections(nodes, client, TIMEOUT);
            connections.afterPropertiesSet();
            connections.start();
            try {
                StringRedisTemplate redis = new StringRedisTemplate(connections);
                redis.opsForValue().set("{bounded}question", "asked");
                assertThat(redis.opsForValue().get("{bounded}question")).isEqualTo("asked");

                int primary = servers.primaryOf("{bounded}question");
                servers.forbidClusterFailovers();
                servers.killNode(primary);
                long start = System.nanoTime();
                Throwable failed = catchThrowable(() -> redis.opsForValue().get("{bounded}question"));
                Duration took = Duration.ofNanos(System.nanoTime() - start);

                assertThat(failed).as("no primary serves the slot").isNotNull();
                // Jedis's own budget, 5 attempts × 2 s, holds the caller about 6 s here (its backoff spends it); a
                // bound generous above the 2 s given, well below that
                assertThat(took).as("given up after the budget").isLessThan(Duration.ofSeconds(4));
            } finally {
                connections.destroy();
            }
        }
    }
}
