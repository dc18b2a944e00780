package io.github.oac.store;

import java.nio.file.Path;

import org.springframework.boot.autoconfigure.data.redis.RedisProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.jedis.JedisClientConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import io.github.oac.config.ChatProperties;
import redis.clients.jedis.Jedis;

/**
 * One way to Redis: REDIS_URL when set; else Spring Boot's own spring.data.redis.url, or spring.data.redis.host with
 * its port, username, password, database and ssl.enabled; else an embedded server. All of them become one
 * RedisAddress and go through the same Jedis factory, so tests exercise the production code path. A URL that cannot
 * be read stops start-up at once (RequiredSettings), with its credentials masked.
 */
@Configuration(proxyBeanMethods = false)
public class RedisSetup {

    /**
     * The configured server, or an embedded one started for this context (and stopped with it), keeping its data in
     * chat.redis.data-dir so a restart, even after kill -9, answers what was accepted before.
     */
    @Bean(destroyMethod = "close")
    RedisEndpoint redisEndpoint(ChatProperties properties, RedisProperties spring, Environment environment) {
        RedisAddress configured = configured(properties.redis().url(), spring, environment);
        if (configured == null) {
            ChatProperties.Redis redis = properties.redis();
            Path dataDir = Path.of(blank(redis.dataDir()) ? "data" : redis.dataDir());
            return RedisEndpoint.embedded(EmbeddedRedis.start(dataDir, redis.embeddedPort(), redis.embeddedDebug()));
        }
        return RedisEndpoint.external(configured);
    }

    /** The server the settings name, or null when none does (an embedded server then). */
    static RedisAddress configured(String redisUrl, RedisProperties spring, Environment environment) {
        if (!blank(redisUrl)) {
            return RedisAddress.parse(redisUrl);
        }
        if (!blank(spring.getUrl())) {
            return RedisAddress.parse(spring.getUrl());
        }
        if (environment.containsProperty("spring.data.redis.host")) {
            return new RedisAddress(spring.getHost(), spring.getPort(), blank(spring.getUsername()) ? null
                    : spring.getUsername(), blank(spring.getPassword()) ? null : spring.getPassword(),
                    spring.getDatabase(), spring.getSsl().isEnabled());
        }
        return null;
    }

    @Bean
    JedisConnectionFactory redisConnectionFactory(ChatProperties properties, RedisEndpoint endpoint) {
        RedisAddress address = endpoint.address();
        RedisStandaloneConfiguration server = new RedisStandaloneConfiguration(address.host(), address.port());
        if (address.username() != null) {
            server.setUsername(address.username());
        }
        if (address.password() != null) {
            server.setPassword(address.password());
        }
        server.setDatabase(address.database());
        // Short timeouts, and a pool that makes a caller wait at most as long: with Redis down or slow, the callback
        // fails fast rather than hold WeChat's 5 s window, and lease renewals are not starved by busy consumers.
        GenericObjectPoolConfig<Jedis> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(properties.redis().poolSize());
        pool.setMaxIdle(properties.redis().poolSize());
        pool.setMinIdle(2);
        pool.setMaxWait(properties.redis().timeout());
        // connections idle in the pool are checked (PING) every 2 s, off the request path: after Redis restarts or
        // fails over, the broken ones are gone before a callback or a turn borrows one
        pool.setTestWhileIdle(true);
        pool.setTimeBetweenEvictionRuns(java.time.Duration.ofSeconds(2));
        pool.setNumTestsPerEvictionRun(-1);
        JedisClientConfiguration.JedisClientConfigurationBuilder client = JedisClientConfiguration.builder()
                .connectTimeout(properties.redis().timeout())
                .readTimeout(properties.redis().timeout());
        client.usePooling().poolConfig(pool);
        if (address.ssl()) {
            client.useSsl();
        }
        return new JedisConnectionFactory(server, client.build());
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
