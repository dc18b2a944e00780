package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.awaitility.Awaitility;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.github.oac.store.RedisServers;

/**
 * The failovers on a Redis Cluster of three primaries with one replica each: the primary of one follower's shard
 * killed, its replica promoted; the killed node started again rejoins as the new primary's replica (with one replica
 * a shard, its followers' admissions wait for that: chat.redis.replica-acks).
 */
class ClusterFailoverTest extends FailoverScenarios {

    private static RedisServers servers;
    private int killed;

    @DynamicPropertySource
    static void cluster(DynamicPropertyRegistry registry) throws Exception {
        assumeInstalled();
        servers = RedisServers.cluster(directory("cluster"));
        Runtime.getRuntime().addShutdownHook(new Thread(servers::close)); // after the context, whenever it closes
        registry.add("spring.data.redis.cluster.nodes", servers::clusterNodes);
    }

    @Override
    void killAPrimaryOf(List<String> followers) throws Exception {
        String key = keys.inbox(followers.get(0));
        killed = servers.primaryOf(key);
        servers.killNode(killed);
        new Thread(() -> {
            try {
                // only once its replica took over: started earlier, the node would come back as the primary, empty
                Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .ignoreExceptions().until(() -> servers.primaryOf(key, killed) != killed);
                servers.awaitClusterOk(Duration.ofSeconds(60));
                servers.restartNode(killed);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "restart-killed-node").start();
    }

    @Override
    void cutOffAPrimaryOf(List<String> followers) throws Exception {
        servers.cutOffPrimaryOf(keys.inbox(followers.get(0)), Duration.ofSeconds(60));
    }

    @Override
    void assertPromoted(List<String> followers) {
        assertThat(servers.primaryOf(keys.inbox(followers.get(0)), killed)).as("its replica serves the shard now")
                .isNotEqualTo(killed);
    }

    @Override
    void pauseReplicas(boolean paused) throws Exception {
        servers.pauseClusterReplicas(paused);
    }
}
