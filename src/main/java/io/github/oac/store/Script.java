package io.github.oac.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.LoggerFactory;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.RedisSystemException;
import org.springframework.data.redis.connection.RedisClusterConnection;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.RedisOperations;
import org.springframework.data.redis.core.SessionCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

import redis.clients.jedis.Connection;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.util.JedisClusterCRC16;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * One of the store's Lua scripts, run with a typed call. Each script is a file under
 * {@code src/main/resources/redis/} that opens with a header naming its KEYS and ARGV and what it returns
 * (docs/architecture.md lists them); its {@link Call} is a record whose components are those KEYS and ARGV, in the
 * header's order. A line {@code --! include <fragment>} in a file stands for {@code redis/lib/<fragment>.lua}, put
 * in its place at most once per script, so functions several scripts share (the lease check, the reply slots) are
 * written once.
 * <p>
 * Plain scripts rather than Redis 7 functions: the bundled fallback server is Redis 6.2, and the cluster proxies of
 * cloud offerings often refuse FUNCTION. Spring Data sends a script's digest first (EVALSHA) and its text only when
 * the server answers NOSCRIPT (a restarted server, or a replica promoted by a failover, that never saw it).
 *
 * @param <C> the script's call
 * @param <T> what it returns (Long, String or List)
 */
public final class Script<C extends Script.Call, T> {

    /** A script's KEYS and ARGV, in the order its file's header names them. */
    public interface Call {
        List<String> keys();

        List<String> args();
    }

    /** delete-if-same.lua, for any key that may only go while it holds a value (a lease, a refused token). */
    public record DeleteIfSame(String key, String value) implements Call {
        public List<String> keys() {
            return List.of(key);
        }

        public List<String> args() {
            return List.of(value);
        }
    }

    private static final Pattern INCLUDE = Pattern.compile("(?m)^--! include ([a-z0-9-]+)[ \\t]*$");
    /** A replica's line of INFO replication: slave0, slave1, … */
    private static final Pattern REPLICA = Pattern.compile("slave[0-9]+");

    private final RedisScript<T> script;

    private Script(String name, Class<T> resultType) {
        this.script = RedisScript.of(source(name), resultType);
    }

    /** The script {@code redis/<name>.lua}, with its fragments in place, answering resultType. */
    public static <C extends Call, T> Script<C, T> of(String name, Class<T> resultType) {
        return new Script<>(name, resultType);
    }

    /** Runs the script with this call's keys and arguments. */
    public T run(StringRedisTemplate redis, C call) {
        return redis.execute(script, call.keys(), call.args().toArray());
    }

    /**
     * Runs the script, then waits until acks.replicas() replicas hold its writes (WAIT, on the same connection);
     * ReplicasBehindException when fewer confirmed by acks.patience() (one WAIT of acks.timeout() at least). With
     * none asked for, just runs it.
     */
    public T run(StringRedisTemplate redis, C call, ReplicaAcks acks) {
        if (acks.replicas() <= 0) {
            return run(redis, call);
        }
        JedisCluster cluster = cluster(redis);
        if (cluster != null) {
            return runOnSlot(cluster, call, acks);
        }
        return redis.execute(new SessionCallback<T>() {
            @Override
            @SuppressWarnings("unchecked")
            public <K, V> T execute(RedisOperations<K, V> operations) {
                // a session binds one connection: WAIT counts the replicas that have this connection's writes
                T result = ((RedisOperations<String, String>) operations).execute(script, call.keys(),
                        call.args().toArray());
                awaitReplicas(acks, () -> operations.execute((RedisCallback<Long>) connection ->
                        replicasInSync(connection.serverCommands().info("replication"))), wanted -> {
                    Object confirmed = operations.execute((RedisCallback<Object>) connection -> connection.execute(
                            "WAIT", Integer.toString(wanted).getBytes(StandardCharsets.US_ASCII),
                            Long.toString(acks.timeout().toMillis()).getBytes(StandardCharsets.US_ASCII)));
                    return confirmed instanceof Number number ? number.longValue()
                            : Long.parseLong(String.valueOf(confirmed));
                });
                return result;
            }
        });
    }

    /**
     * WAITs until the replicas wanted (counted again before each WAIT: a replica may finish its sync meanwhile) hold
     * the connection's writes, for acks.patience() at least once; ReplicasBehindException when they never did.
     */
    private static void awaitReplicas(ReplicaAcks acks, java.util.function.LongSupplier inSync,
                                      java.util.function.IntToLongFunction waitFor) {
        long deadline = System.nanoTime() + acks.patience().toNanos();
        while (true) {
            int wanted = acks.wanted(acks.all() ? inSync.getAsLong() : 0);
            long confirmed = waitFor.applyAsLong(wanted);
            if (confirmed >= wanted) {
                return;
            }
            if (System.nanoTime() + acks.timeout().toNanos() > deadline) {
                throw new ReplicasBehindException(confirmed, wanted, acks.timeout());
            }
            LoggerFactory.getLogger(Script.class).debug("{} of {} replicas confirmed a write within {} ms; waiting on",
                    confirmed, wanted, acks.timeout().toMillis());
        }
    }

    /** The replicas of INFO replication in sync (state=online): one still loading a snapshot confirms nothing. */
    private static long replicasInSync(java.util.Properties info) {
        return info == null ? 0 : info.entrySet().stream().filter(entry -> REPLICA.matcher(
                String.valueOf(entry.getKey())).matches() && String.valueOf(entry.getValue()).contains("state=online"))
                .count();
    }

    static long replicasInSync(String info) {
        return info.lines().filter(line -> line.indexOf(':') > 0
                && REPLICA.matcher(line.substring(0, line.indexOf(':'))).matches() && line.contains("state=online"))
                .count();
    }

    /** The client of a Redis Cluster behind this template, or null for a single server or Sentinel. */
    static JedisCluster cluster(StringRedisTemplate redis) {
        if (redis.getConnectionFactory() instanceof JedisConnectionFactory jedis && jedis.isRedisClusterAware()) {
            try (RedisClusterConnection connection = jedis.getClusterConnection()) {
                return (JedisCluster) connection.getNativeConnection();
            }
        }
        return null;
    }

    /**
     * On a Cluster: the script and WAIT on one connection to the primary of the call's slot (the template would take
     * a connection per command, and WAIT counts only its own connection's writes).
     */
    @SuppressWarnings("unchecked")
    private T runOnSlot(JedisCluster cluster, C call, ReplicaAcks acks) {
        try (Connection connection = cluster.getConnectionFromSlot(JedisClusterCRC16.getSlot(call.keys().get(0)))) {
            Jedis jedis = new Jedis(connection);
            Object result;
            try {
                result = jedis.evalsha(script.getSha1(), call.keys(), call.args());
            } catch (JedisNoScriptException notLoaded) {
                result = jedis.eval(script.getScriptAsString(), call.keys(), call.args());
            }
            awaitReplicas(acks, () -> replicasInSync(jedis.info("replication")),
                    wanted -> jedis.waitReplicas(wanted, acks.timeout().toMillis()));
            return (T) result;
        } catch (JedisConnectionException | JedisMovedDataException moved) {
            // the slot's primary is gone, or no longer its primary (a failover; the old one back as a replica answers
            // MOVED): a keyed command through the cluster client itself makes it learn the new layout, so the
            // caller's next try reaches the new primary
            try {
                cluster.exists(call.keys().get(0));
            } catch (RuntimeException stillFailingOver) {
                // the next try asks again
            }
            throw new RedisConnectionFailureException("Redis Cluster: " + moved.getMessage(), moved);
        } catch (JedisException failed) {
            throw new RedisSystemException("Redis Cluster: " + failed.getMessage(), failed);
        }
    }

    /** The text Redis runs for {@code redis/<name>.lua}: the file with its fragments in place. */
    public static String source(String name) {
        return withFragments(read("redis/" + name + ".lua"), new LinkedHashSet<>());
    }

    /** A duration as the milliseconds scripts take. */
    public static String millis(Duration duration) {
        return Long.toString(duration.toMillis());
    }

    /** A flag as scripts take it: "1" or "0". */
    public static String flag(boolean set) {
        return set ? "1" : "0";
    }

    private static String withFragments(String text, Set<String> included) {
        Matcher include = INCLUDE.matcher(text);
        StringBuilder joined = new StringBuilder(text.length() * 2);
        while (include.find()) {
            String fragment = include.group(1);
            String replacement = included.add(fragment)
                    ? withFragments(read("redis/lib/" + fragment + ".lua"), included).stripTrailing()
                    : "-- (" + fragment + " is above)";
            include.appendReplacement(joined, Matcher.quoteReplacement(replacement));
        }
        include.appendTail(joined);
        return joined.toString();
    }

    private static String read(String resource) {
        try (InputStream in = Script.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("No Redis script " + resource + " on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the Redis script " + resource, e);
        }
    }
}
