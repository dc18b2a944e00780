package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static io.github.oac.it.WechatSide.awaitTrue;
import static io.github.oac.it.WechatSide.deliver;
import static io.github.oac.it.WechatSide.newMsgId;
import static io.github.oac.it.WechatSide.serviceEnv;
import static io.github.oac.it.WechatSide.signedQuery;
import static io.github.oac.it.WechatSide.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

import org.springframework.data.redis.core.StringRedisTemplate;

import io.github.oac.store.Keys;
import io.github.oac.store.RedisServers;

/**
 * The fault run on replicated Redis (Debian's redis-server and redis-sentinel on loopback): Sentinel (a primary, two
 * replicas, three sentinels) and a Cluster (three primaries, one replica each). Two instances, 500 questions from
 * 100 followers, model and WeChat faults as in RecoveryIT, and a primary killed (kill -9) halfway: every question
 * that got "success" ends in exactly one bucket, none lost, none answered twice, counted by MsgId; the seed, the
 * counts and the time from the kill to the first question acknowledged and answered after it are printed.
 */
class FailoverFaultIT {

    private static final Keys keys = new Keys("oac:");
    private static final String TOKEN = "ittoken";
    private static final String COMPLETIONS = "/v1/chat/completions";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final RandomFaults faults = new RandomFaults();
    private static final WireMockServer stubs = new WireMockServer(WireMockConfiguration.options().dynamicPort()
            .extensions(faults).asynchronousResponseEnabled(true).containerThreads(64));
    private static RedisServers servers;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(RedisServers.installed(), "Debian's redis-server and redis-sentinel (.ci/run installs them)");
        stubs.start();
    }

    @AfterAll
    static void stop() {
        stubs.stop();
    }

    @AfterEach
    void stopRedis() {
        if (servers != null) {
            servers.close();
        }
        stubs.resetAll();
    }

    @Test
    void killingTheSentinelPrimaryHalfwayThroughAFaultRunLosesAndDoublesNothing() throws Exception {
        servers = RedisServers.sentinel(directory("sentinel-it"));
        faultRun("Sentinel", Map.of("SPRING_DATA_REDIS_SENTINEL_MASTER", RedisServers.MASTER,
                "SPRING_DATA_REDIS_SENTINEL_NODES", servers.sentinelNodes()), servers::killPrimary);
    }

    @Test
    void killingAClusterShardsPrimaryHalfwayThroughAFaultRunLosesAndDoublesNothing() throws Exception {
        servers = RedisServers.cluster(directory("cluster-it"));
        // the shard of the account's own keys (dead letters, the delivery mode) and of a third of the followers
        faultRun("Cluster", Map.of("SPRING_DATA_REDIS_CLUSTER_NODES", servers.clusterNodes()), () -> {
            int killed = servers.primaryOf(keys.deadLetters());
            servers.killNode(killed);
            new Thread(() -> { // back as its successor's replica, once that took over (one replica a shard)
                try {
                    awaitTrue(Duration.ofSeconds(60), () -> {
                        try {
                            return servers.primaryOf(keys.deadLetters(), killed) != killed;
                        } catch (RuntimeException notYet) {
                            return false;
                        }
                    });
                    servers.awaitClusterOk(Duration.ofSeconds(60));
                    servers.restartNode(killed);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "restart-killed-node").start();
        });
    }

    interface Kill {
        void run() throws Exception;
    }

    private static Path directory(String name) throws java.io.IOException {
        return Files.createDirectories(Path.of("target/test-redis/" + name + "-" + System.nanoTime()));
    }

    private void faultRun(String topology, Map<String, String> redisSettings, Kill kill) throws Exception {
        System.out.println(topology + " fault run seed " + RandomFaults.SEED + " (repeat it with -Dit.seed="
                + RandomFaults.SEED + ")");
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token"))
                .willReturn(okJson("{\"access_token\":\"IT_TOKEN\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/message/custom/typing"))
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        // the answer names its question, so every delivery is counted for its own MsgId
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson("{\"choices\":[{\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"answer to {{jsonPath request.body '$.messages[-1].content'}}\"}}]}")
                .withTransformers("response-template")));

        List<ServiceProcess> pair = ServiceProcess.startTwo(topology.toLowerCase() + "-a",
                topology.toLowerCase() + "-b", env(redisSettings));
        try (ServiceProcess a = pair.get(0); ServiceProcess b = pair.get(1)) {
            faults.on(true);
            Map<String, List<String>> asked = new LinkedHashMap<>();
            Map<String, String> outcomes = new ConcurrentHashMap<>();
            Map<String, Long> acknowledgedAt = new ConcurrentHashMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<?>> posts = new ArrayList<>();
            for (int f = 0; f < 100; f++) {
                String openid = "osentinel" + f + "x" + ThreadLocalRandom.current().nextInt(1_000_000);
                List<String> ids = List.of(newMsgId(), newMsgId(), newMsgId(), newMsgId(), newMsgId());
                asked.put(openid, ids);
                posts.add(pool.submit(() -> {
                    for (int k = 0; k < ids.size(); k++) {
                        String outcome = asWechat(k % 2 == 0 ? a : b,
                                text(openid, ids.get(k), "question " + ids.get(k)));
                        acknowledgedAt.put(ids.get(k), System.currentTimeMillis());
                        outcomes.put(ids.get(k), outcome);
                    }
                    return null;
                }));
            }
            awaitTrue(Duration.ofSeconds(120), () -> outcomes.size() >= 250);
            long killedAt = System.currentTimeMillis();
            kill.run();
            for (Future<?> post : posts) {
                post.get();
            }
            pool.shutdown();
            // what a test reads it reads as the service does: through Spring Boot's settings
            try (RedisView redis = RedisView.of(redisSettings)) {
                StringRedisTemplate view = redis.template();
                awaitTrue(Duration.ofSeconds(300), () -> {
                    try {
                        return view.keys("oac:{*}:inbox").isEmpty();
                    } catch (RuntimeException failingOver) {
                        return false;
                    }
                });
                faults.on(false);

                List<ServeEvent> delivered = FaultTally.acceptedSends(stubs);
                FaultTally tally = FaultTally.of(asked, outcomes, delivered,
                        id -> view.opsForHash().hasKey(keys.deadLetters(), id));
                long firstAcknowledged = acknowledgedAt.entrySet().stream()
                        .filter(e -> "success".equals(outcomes.get(e.getKey())) && e.getValue() > killedAt)
                        .mapToLong(Map.Entry::getValue).min().orElse(-1);
                long firstAnswered = delivered.stream().filter(e -> acknowledgedAt.entrySet().stream().anyMatch(
                                ack -> ack.getValue() > killedAt && e.getRequest().getBodyAsString()
                                        .contains("question " + ack.getKey())))
                        .mapToLong(e -> e.getRequest().getLoggedDate().getTime()).min().orElse(-1);
                System.out.printf("%s fault run: %s, of %d asked; after the kill the first question acknowledged "
                                + "in %d ms and answered in %d ms (model requests=%d, send requests=%d)%n", topology,
                        tally, outcomes.size(), firstAcknowledged - killedAt, firstAnswered - killedAt,
                        stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))).size(),
                        stubs.findAll(postRequestedFor(urlPathEqualTo(SEND))).size());
                for (String id : tally.duplicated().subList(0, Math.min(3, tally.duplicated().size()))) {
                    System.out.println("Answered twice: " + id + " at " + delivered.stream()
                            .filter(e -> e.getRequest().getBodyAsString().contains("question " + id))
                            .map(e -> (e.getRequest().getLoggedDate().getTime() - killedAt) + " ms").toList()
                            + " after the kill");
                }
                assertThat(tally.duplicated()).as("MsgIds answered more than once").isEmpty();
                assertThat(tally.lost()).as("accepted, then lost").isZero();
                assertThat(tally.silent()).as("followers whose unanswered messages got no apology").isEmpty();
                assertThat(tally.outOfOrder()).as("followers answered out of order").isEmpty();
                assertThat(tally.accepted()).as("most callbacks accepted, the failover's included").isGreaterThan(400);
            }
        }
    }

    private static Map<String, String> env(Map<String, String> redisSettings) {
        Map<String, String> env = serviceEnv(TOKEN, stubs.baseUrl(), 0, "push");
        env.put("REDIS_URL", null); // Spring Boot's Sentinel or Cluster settings instead
        env.putAll(redisSettings);
        // a turn that cannot record a part WeChat accepted keeps trying while its lease lasts: longer than a failover
        // (about 3 s here), as the default 30 s is, or the part is sent again when the turn is resumed
        env.put("CHAT_QUEUE_LEASE_TTL", "10s");
        RandomFaults.tuneService(env);
        return env;
    }

    /** As WeChat sends it: a 503 or no answer within 5 s is tried again, three times, a second apart. */
    private static String asWechat(ServiceProcess service, String xml) throws InterruptedException {
        for (int attempt = 0; attempt < 4; attempt++) {
            try {
                String answer = deliver(service, xml, signedQuery(TOKEN));
                if ("success".equals(answer)) {
                    return answer;
                }
                if (answer.startsWith("<xml>")) {
                    return "busy";
                }
            } catch (Exception unreachable) {
                // WeChat retries too
            }
            Thread.sleep(1000);
        }
        return "refused";
    }
}
