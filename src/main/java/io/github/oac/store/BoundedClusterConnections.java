package io.github.oac.store;

import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.jedis.JedisClientConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;

import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;

/**
 * Spring Data's Jedis connections to a Redis Cluster, with the cluster client's retries bounded. Spring builds Jedis's
 * cluster client with its default retry budget, read timeout × attempts (2 s × 5 here): one call to a shard whose
 * primary is gone then blocks its caller for 10 s while the client retries, long enough for a lease to lapse and
 * another instance to answer the same message (a fault run's duplicate). Here a call gives up after
 * {@code retryBudget} of retries (plus the attempt under way); the callers decide what to try again.
 */
class BoundedClusterConnections extends JedisConnectionFactory {

    /** Jedis's own default when spring.data.redis.cluster.max-redirects is not set. */
    private static final int DEFAULT_ATTEMPTS = 5;

    private final Duration retryBudget;

    BoundedClusterConnections(RedisClusterConfiguration nodes, JedisClientConfiguration client, Duration retryBudget) {
        super(nodes, client);
        this.retryBudget = retryBudget;
    }

    @Override
    protected JedisCluster createCluster(RedisClusterConfiguration nodes, GenericObjectPoolConfig<Connection> pool) {
        JedisClientConfiguration client = getClientConfiguration();
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(Math.toIntExact(client.getConnectTimeout().toMillis()))
                .socketTimeoutMillis(Math.toIntExact(client.getReadTimeout().toMillis()))
                .ssl(client.isUseSsl());
        client.getSslSocketFactory().ifPresent(config::sslSocketFactory);
        client.getSslParameters().ifPresent(config::sslParameters);
        client.getHostnameVerifier().ifPresent(config::hostnameVerifier);
        client.getClientName().ifPresent(config::clientName);
        if (nodes.getUsername() != null) {
            config.user(nodes.getUsername());
        }
        nodes.getPassword().toOptional().map(String::new).ifPresent(config::password);
        Set<HostAndPort> seeds = nodes.getClusterNodes().stream()
                .map(node -> new HostAndPort(node.getHost(), node.getPort())).collect(Collectors.toSet());
        int attempts = nodes.getMaxRedirects() != null ? nodes.getMaxRedirects() : DEFAULT_ATTEMPTS;
        return new JedisCluster(seeds, config.build(), attempts, retryBudget, pool);
    }
}
