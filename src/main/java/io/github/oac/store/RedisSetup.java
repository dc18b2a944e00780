package io.github.oac.store;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.jedis.JedisClientConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import io.github.oac.config.ChatProperties;
import redis.clients.jedis.Jedis;

/**
 * One way to Redis: REDIS_URL when set, else an embedded server. Both go through the same URL parsing and the same
 * Jedis factory, so tests exercise the production code path.
 */
@Configuration(proxyBeanMethods = false)
public class RedisSetup {

    /**
     * REDIS_URL, or the URL of an embedded server started for this context (and stopped with it), keeping its data in
     * chat.redis.data-dir so a restart, even after kill -9, answers what was accepted before.
     */
    @Bean(destroyMethod = "close")
    RedisEndpoint redisEndpoint(ChatProperties properties) {
        ChatProperties.Redis redis = properties.redis();
        if (blank(redis.url())) {
            Path dataDir = Path.of(blank(redis.dataDir()) ? "data" : redis.dataDir());
            return RedisEndpoint.embedded(EmbeddedRedis.start(dataDir, redis.embeddedPort()));
        }
        return RedisEndpoint.external(redis.url());
    }

    @Bean
    JedisConnectionFactory redisConnectionFactory(ChatProperties properties, RedisEndpoint endpoint) {
        URI uri = URI.create(endpoint.url());
        RedisStandaloneConfiguration server = new RedisStandaloneConfiguration(uri.getHost(),
                uri.getPort() > 0 ? uri.getPort() : 6379);
        if (uri.getRawUserInfo() != null) {
            String[] userInfo = uri.getRawUserInfo().split(":", 2);
            if (userInfo.length == 2) {
                if (!userInfo[0].isEmpty()) {
                    server.setUsername(decode(userInfo[0]));
                }
                server.setPassword(decode(userInfo[1]));
            } else {
                server.setPassword(decode(userInfo[0]));
            }
        }
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            server.setDatabase(Integer.parseInt(path.substring(1)));
        }
        // Short timeouts, and a pool that makes a caller wait at most as long: with Redis down or slow, the callback
        // fails fast rather than hold WeChat's 5 s window, and lease renewals are not starved by busy consumers.
        GenericObjectPoolConfig<Jedis> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(properties.redis().poolSize());
        pool.setMaxIdle(properties.redis().poolSize());
        pool.setMinIdle(2);
        pool.setMaxWait(properties.redis().timeout());
        JedisClientConfiguration.JedisClientConfigurationBuilder client = JedisClientConfiguration.builder()
                .connectTimeout(properties.redis().timeout())
                .readTimeout(properties.redis().timeout());
        client.usePooling().poolConfig(pool);
        if ("rediss".equalsIgnoreCase(uri.getScheme())) {
            client.useSsl();
        }
        return new JedisConnectionFactory(server, client.build());
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
