package io.github.oac.store;

import java.net.URI;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import redis.clients.jedis.Jedis;

/**
 * Runs the store's scripts, as Script joins them, directly against a real Redis server (one per test JVM,
 * emptied before each test), with keys the test names itself: every branch can be reached on purpose.
 */
abstract class ScriptTestSupport {

    private static EmbeddedRedis server;
    protected static Jedis redis;

    @BeforeAll
    static synchronized void connect() {
        if (server == null) {
            server = EmbeddedRedis.start(); // stopped with the JVM
        }
        redis = new Jedis(URI.create(server.url()));
    }

    @AfterAll
    static void disconnect() {
        redis.close();
    }

    @BeforeEach
    void empty() {
        redis.flushAll();
    }

    /** The script's answer: Long, String, null, or a List of those. */
    protected static Object run(String script, List<String> keys, String... args) {
        return redis.eval(Script.source(script), keys, Arrays.asList(args));
    }

    @SuppressWarnings("unchecked")
    protected static List<Object> runForList(String script, List<String> keys, String... args) {
        return (List<Object>) run(script, keys, args);
    }

    protected static Long runForLong(String script, List<String> keys, String... args) {
        return (Long) run(script, keys, args);
    }
}
