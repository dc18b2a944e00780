package io.github.oac.store;

import java.nio.file.Path;
import java.time.Duration;

import javax.net.ssl.SSLParameters;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.data.redis.RedisProperties;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.jedis.JedisClientConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import io.github.oac.config.ChatProperties;
import io.github.oac.config.MissingSettingException;
import redis.clients.jedis.Jedis;

/**
 * One way to Redis: a Cluster when Spring Boot's spring.data.redis.cluster.nodes is set (with .max-redirects; Jedis's
 * cluster client follows the slots through failovers); Sentinel when spring.data.redis.sentinel.master and .nodes are
 * set (the primary they name, followed through failovers by Jedis's sentinel pool; the sentinels' own credentials
 * from .sentinel.username and .password); the data nodes' username, password, database and ssl.enabled from
 * spring.data.redis.* for both; else REDIS_URL
 * when set; else Spring Boot's own spring.data.redis.url, or spring.data.redis.host with its port, username,
 * password, database and ssl.enabled; else an embedded server. A single server becomes one RedisAddress; all go
 * through the same Jedis client settings, so tests exercise the production code path. A URL that cannot be read
 * stops start-up at once (RequiredSettings), with its credentials masked. TLS (rediss://, or ssl.enabled) trusts the
 * JVM's certificate authorities, or those of the SSL bundle spring.data.redis.ssl.bundle names (spring.ssl.bundle.*),
 * and checks that the server's certificate names the host connected to.
 */
@Configuration(proxyBeanMethods = false)
public class RedisSetup {

    /**
     * The configured server, or an embedded one started for this context (and stopped with it), keeping its data in
     * chat.redis.data-dir so a restart, even after kill -9, answers what was accepted before.
     */
    @Bean(destroyMethod = "close")
    RedisEndpoint redisEndpoint(ChatProperties properties, RedisProperties spring, Environment environment) {
        if (cluster(spring) != null || sentinel(spring) != null) {
            return RedisEndpoint.managed();
        }
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

    /**
     * The replicas writes wait for: chat.redis.replica-acks (a number, or all), else all on Sentinel or Cluster and
     * none on a single server.
     */
    @Bean
    ReplicaAcks replicaAcks(ChatProperties properties, RedisProperties spring) {
        String configured = properties.redis().replicaAcks() == null ? "" : properties.redis().replicaAcks().strip();
        Duration timeout = properties.redis().replicaAckTimeout();
        if (configured.isEmpty()) {
            return sentinel(spring) != null || cluster(spring) != null ? ReplicaAcks.all(timeout) : ReplicaAcks.NONE;
        }
        if (configured.equalsIgnoreCase("all")) {
            return ReplicaAcks.all(timeout);
        }
        int replicas;
        try {
            replicas = Integer.parseInt(configured);
        } catch (NumberFormatException notANumber) {
            throw new MissingSettingException("CHAT_REDIS_REPLICA_ACKS", "chat.redis.replica-acks",
                    "'" + configured + "' is neither a number nor all");
        }
        return ReplicaAcks.of(replicas, timeout);
    }

    /** Spring Boot's Cluster settings, when they name at least one node; else null. */
    static RedisProperties.Cluster cluster(RedisProperties spring) {
        RedisProperties.Cluster cluster = spring.getCluster();
        return cluster != null && cluster.getNodes() != null && !cluster.getNodes().isEmpty() ? cluster : null;
    }

    /** Spring Boot's Sentinel settings, when they name a primary and at least one sentinel; else null. */
    static RedisProperties.Sentinel sentinel(RedisProperties spring) {
        RedisProperties.Sentinel sentinel = spring.getSentinel();
        return sentinel != null && !blank(sentinel.getMaster()) && sentinel.getNodes() != null
                && !sentinel.getNodes().isEmpty() ? sentinel : null;
    }

    @Bean
    JedisConnectionFactory redisConnectionFactory(ChatProperties properties, RedisProperties spring,
                                                  RedisEndpoint endpoint, ObjectProvider<SslBundles> sslBundles) {
        boolean ssl = endpoint.address() == null ? spring.getSsl().isEnabled()
                : endpoint.address().ssl() || !blank(spring.getSsl().getBundle());
        SslBundle bundle = ssl && !blank(spring.getSsl().getBundle())
                ? sslBundles.getObject().getBundle(spring.getSsl().getBundle()) : null;
        JedisClientConfiguration client = clientSettings(properties, ssl, bundle);
        RedisProperties.Cluster cluster = cluster(spring);
        if (cluster != null) {
            RedisClusterConfiguration nodes = new RedisClusterConfiguration(
                    cluster.getNodes().stream().map(String::strip).toList());
            if (cluster.getMaxRedirects() != null) {
                nodes.setMaxRedirects(cluster.getMaxRedirects());
            }
            if (!blank(spring.getUsername())) {
                nodes.setUsername(spring.getUsername());
            }
            if (!blank(spring.getPassword())) {
                nodes.setPassword(spring.getPassword());
            }
            // retries within chat.redis.timeout: a call never outlasts a lease while a shard fails over
            return new BoundedClusterConnections(nodes, client, properties.redis().timeout());
        }
        RedisProperties.Sentinel sentinel = sentinel(spring);
        if (sentinel != null) {
            RedisSentinelConfiguration sentinels = new RedisSentinelConfiguration(sentinel.getMaster().strip(),
                    new java.util.LinkedHashSet<>(sentinel.getNodes().stream().map(String::strip).toList()));
            if (!blank(sentinel.getUsername())) {
                sentinels.setSentinelUsername(sentinel.getUsername());
            }
            if (!blank(sentinel.getPassword())) {
                sentinels.setSentinelPassword(sentinel.getPassword());
            }
            if (!blank(spring.getUsername())) {
                sentinels.setUsername(spring.getUsername());
            }
            if (!blank(spring.getPassword())) {
                sentinels.setPassword(spring.getPassword());
            }
            sentinels.setDatabase(spring.getDatabase());
            return new JedisConnectionFactory(sentinels, client);
        }
        RedisAddress address = endpoint.address();
        RedisStandaloneConfiguration server = new RedisStandaloneConfiguration(address.host(), address.port());
        if (address.username() != null) {
            server.setUsername(address.username());
        }
        if (address.password() != null) {
            server.setPassword(address.password());
        }
        server.setDatabase(address.database());
        return new JedisConnectionFactory(server, client);
    }

    /**
     * Spring Boot's string template, minus the JDK proxy it wraps around the connection on every call (to keep a
     * callback from closing it: none here does). That proxy was a sixth of the template's own time per script.
     */
    @Bean
    StringRedisTemplate stringRedisTemplate(RedisConnectionFactory connections) {
        StringRedisTemplate template = new StringRedisTemplate(connections);
        template.setExposeConnection(true);
        return template;
    }

    private static JedisClientConfiguration clientSettings(ChatProperties properties, boolean ssl, SslBundle bundle) {
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
        if (ssl) {
            // the server's certificate must name the host (or address) connected to, as a browser would check
            SSLParameters parameters = new SSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            JedisClientConfiguration.JedisSslClientConfigurationBuilder tls = client.useSsl();
            if (bundle != null) {
                tls.sslSocketFactory(bundle.createSslContext().getSocketFactory());
                if (bundle.getOptions().getCiphers() != null) {
                    parameters.setCipherSuites(bundle.getOptions().getCiphers());
                }
                if (bundle.getOptions().getEnabledProtocols() != null) {
                    parameters.setProtocols(bundle.getOptions().getEnabledProtocols());
                }
            }
            tls.sslParameters(parameters);
        }
        return client.build();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
