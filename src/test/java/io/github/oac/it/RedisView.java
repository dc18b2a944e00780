package io.github.oac.it;

import java.util.Arrays;
import java.util.Map;

import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * A test's own view of a replicated Redis, from the same Spring Boot settings the service gets (SENTINEL_MASTER and
 * _NODES, or CLUSTER_NODES): it follows a failover as the service does.
 */
record RedisView(JedisConnectionFactory factory, StringRedisTemplate template) implements AutoCloseable {

    static RedisView of(Map<String, String> settings) {
        String cluster = settings.get("SPRING_DATA_REDIS_CLUSTER_NODES");
        JedisConnectionFactory factory = cluster != null
                ? new JedisConnectionFactory(new RedisClusterConfiguration(Arrays.asList(cluster.split(","))))
                : new JedisConnectionFactory(new RedisSentinelConfiguration(
                        settings.get("SPRING_DATA_REDIS_SENTINEL_MASTER"),
                        new java.util.HashSet<>(Arrays.asList(settings.get("SPRING_DATA_REDIS_SENTINEL_NODES").split(",")))));
        factory.afterPropertiesSet();
        factory.start();
        return new RedisView(factory, new StringRedisTemplate(factory));
    }

    @Override
    public void close() {
        factory.destroy();
    }
}
