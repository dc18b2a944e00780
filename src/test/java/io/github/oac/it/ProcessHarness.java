package io.github.oac.it;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.github.oac.store.EmbeddedRedis;
import redis.clients.jedis.Jedis;

/**
 * What the process tests start their service processes against: an embedded Redis server (and a connection to look
 * into it) and a WireMock standing in for WeChat's API and the model, started before the class's tests and stopped
 * after them. Registered as {@code @RegisterExtension static final ProcessHarness harness = new ProcessHarness();}.
 */
final class ProcessHarness implements BeforeAllCallback, AfterAllCallback {

    private final WireMockServer stubs;
    private EmbeddedRedis redisServer;
    private Jedis redis;

    /** WireMock answering 32 requests at once, asynchronously (a slow model answer holds no container thread). */
    ProcessHarness() {
        this(WireMockConfiguration.options().containerThreads(32));
    }

    /** WireMock with these options (extensions, threads), on a free port, asynchronous. */
    ProcessHarness(WireMockConfiguration options) {
        this.stubs = new WireMockServer(options.dynamicPort().asynchronousResponseEnabled(true));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        redisServer = EmbeddedRedis.start();
        redis = new Jedis("127.0.0.1", redisServer.port());
        stubs.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stubs.stop();
        if (redis != null) {
            redis.close();
        }
        if (redisServer != null) {
            redisServer.close();
        }
    }

    WireMockServer stubs() {
        return stubs;
    }

    Jedis redis() {
        return redis;
    }

    int redisPort() {
        return redisServer.port();
    }
}
