package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.github.oac.store.RedisServers;

/** The failovers on Sentinel: a primary, two replicas, three sentinels; the primary killed, a replica promoted. */
class SentinelFailoverTest extends FailoverScenarios {

    private static RedisServers servers;

    @DynamicPropertySource
    static void sentinels(DynamicPropertyRegistry registry) throws Exception {
        assumeInstalled();
        servers = RedisServers.sentinel(directory("sentinel"));
        Runtime.getRuntime().addShutdownHook(new Thread(servers::close)); // after the context, whenever it closes
        registry.add("spring.data.redis.sentinel.master", () -> RedisServers.MASTER);
        registry.add("spring.data.redis.sentinel.nodes", servers::sentinelNodes);
    }

    private int killed;

    @Override
    void killAPrimaryOf(List<String> followers) throws Exception {
        killed = servers.currentPrimaryPort();
        servers.killPrimary();
    }

    @Override
    void cutOffAPrimaryOf(List<String> followers) throws Exception {
        servers.cutOffPrimary(Duration.ofSeconds(60));
    }

    @Override
    void assertPromoted(List<String> followers) {
        assertThat(servers.currentPrimaryPort()).as("a replica was promoted").isNotEqualTo(killed);
    }

    @Override
    void pauseReplicas(boolean paused) throws Exception {
        servers.pauseReplicas(paused);
    }
}
