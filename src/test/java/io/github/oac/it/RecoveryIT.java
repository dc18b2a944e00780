package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.github.oac.store.EmbeddedRedis;
import io.github.oac.wechat.WechatSignature;
import redis.clients.jedis.Jedis;

/**
 * The promise under real failures: the packaged jar as separate processes sharing one Redis, killed with SIGKILL,
 * stopped with SIGTERM, run side by side, against a fake WeChat and a fake model that fail at random.
 */
class RecoveryIT {

    private static final String TOKEN = "ittoken";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final String COMPLETIONS = "/v1/chat/completions";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static EmbeddedRedis redisServer;
    private static final RandomFaults faults = new RandomFaults();
    private static final WireMockServer stubs = new WireMockServer(WireMockConfiguration.options().dynamicPort()
            .extensions(faults).asynchronousResponseEnabled(true).containerThreads(64));
    private static Jedis redis;

    @BeforeAll
    static void startRedisAndStubs() {
        redisServer = EmbeddedRedis.start();
        redis = new Jedis("127.0.0.1", redisServer.port());
        stubs.start();
    }

    @AfterAll
    static void stopAll() throws Exception {
        stubs.stop();
        redis.close();
        redisServer.close();
    }

    @BeforeEach
    void reset() {
        faults.on(false);
        stubs.resetAll();
        redis.flushDB();
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token"))
                .willReturn(okJson("{\"access_token\":\"IT_TOKEN\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/message/custom/typing"))
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(
                "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"the answer\"}}]}")));
    }

    @Test
    void aKilledInstancesMessageIsAnsweredExactlyOnceByTheNextOne() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(
                "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"slow answer\"}}]}")
                .withFixedDelay(1200))); // in flight long enough to be killed, inside the 1.5 s timeout
        String openid = "okilled" + ThreadLocalRandom.current().nextInt(1_000_000);
        ServiceProcess first = ServiceProcess.start("killed-first", env());
        try {
            assertThat(callback(first, openid, newMsgId(), "in flight")).isEqualTo("success");
            awaitTrue(Duration.ofSeconds(20), () -> !stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS)))
                    .isEmpty());
            first.kill();
        } finally {
            first.close();
        }
        assertThat(sends(openid)).isZero();

        long restarted = System.nanoTime();
        try (ServiceProcess second = ServiceProcess.start("killed-second", env())) {
            awaitTrue(Duration.ofSeconds(60), () -> sends(openid) >= 1);
            long seconds = (System.nanoTime() - restarted) / 1_000_000_000;
            awaitTrue(Duration.ofSeconds(30), () -> !redis.exists("oac:inbox:" + openid));
            assertThat(sends(openid)).as("answered exactly once").isEqualTo(1);
            assertThat(sentTexts(openid)).as("with the answer, not the apology").containsExactly("slow answer");
            assertThat(seconds).as("within a minute of the new instance starting").isLessThan(60);
        }
    }

    @Test
    void twentyInFlightAtAGracefulStopAreAllAnsweredOnceAfterTheRestart() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(
                "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"answer\"}}]}")
                .withFixedDelay(800)));
        List<String> openids = new ArrayList<>();
        ServiceProcess first = ServiceProcess.start("graceful-first", env());
        try {
            for (int i = 0; i < 20; i++) {
                String openid = "ograceful" + i + "x" + ThreadLocalRandom.current().nextInt(1_000_000);
                openids.add(openid);
                assertThat(callback(first, openid, newMsgId(), "question " + i)).isEqualTo("success");
            }
            first.stop();
        } finally {
            first.close();
        }
        try (ServiceProcess second = ServiceProcess.start("graceful-second", env())) {
            awaitTrue(Duration.ofSeconds(60), () -> openids.stream().allMatch(openid -> sends(openid) >= 1));
            awaitTrue(Duration.ofSeconds(30), () -> redis.scard("oac:inboxes") == 0);
            for (String openid : openids) {
                assertThat(sentTexts(openid)).as(openid).containsExactly("answer");
            }
        }
    }

    @Test
    void twoInstancesOnOneRedisAnswerOnceAndSurviveRandomFaults() throws Exception {
        try (ServiceProcess a = ServiceProcess.start("pair-a", env());
             ServiceProcess b = ServiceProcess.start("pair-b", env())) {
            // the same MsgId reaching both instances at once (WeChat's retry landing on the other one)
            String twin = "otwin" + ThreadLocalRandom.current().nextInt(1_000_000);
            String msgId = newMsgId();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<String>> both = pool.invokeAll(List.<Callable<String>>of(
                    () -> callback(a, twin, msgId, "twin"), () -> callback(b, twin, msgId, "twin")));
            for (Future<String> answer : both) {
                assertThat(answer.get()).isEqualTo("success");
            }
            awaitTrue(Duration.ofSeconds(30), () -> sends(twin) >= 1);

            // 500 messages over both instances, every tenth posted again to the other one, with faults
            faults.on(true);
            Map<String, String> messages = new HashMap<>(); // msgId -> openid
            List<Future<String>> posts = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                String openid = "ofault" + (i % 250) + "x" + ThreadLocalRandom.current().nextInt(1_000_000);
                String id = newMsgId();
                messages.put(id, openid);
                ServiceProcess target = i % 2 == 0 ? a : b;
                ServiceProcess other = i % 2 == 0 ? b : a;
                posts.add(pool.submit(() -> callback(target, openid, id, "question " + id)));
                if (i % 10 == 0) {
                    posts.add(pool.submit(() -> callback(other, openid, id, "question " + id)));
                }
            }
            for (Future<String> post : posts) {
                assertThat(post.get()).isIn("success", "busy");
            }
            pool.shutdown();

            awaitTrue(Duration.ofSeconds(240), () -> messages.keySet().stream()
                    .allMatch(id -> answered(messages.get(id), id) || redis.hexists("oac:dead", id)));
            faults.on(false);
            awaitTrue(Duration.ofSeconds(60), () -> redis.scard("oac:inboxes") == 0);

            int answered = 0;
            int apologies = 0;
            int dead = 0;
            int duplicates = 0;
            for (Map.Entry<String, String> message : messages.entrySet()) {
                int delivered = sendsFor(message.getValue(), message.getKey());
                if (delivered > 1) {
                    duplicates++;
                    System.out.println("duplicate: " + message.getValue() + " " + message.getKey());
                }
                if (redis.hexists("oac:dead", message.getKey())) {
                    dead++;
                } else if (apologised(message.getValue())) {
                    apologies++;
                } else {
                    answered++;
                }
            }
            System.out.printf("500-message fault run: answered=%d apologies=%d dead-lettered=%d duplicates=%d "
                    + "(model requests=%d, send requests=%d)%n", answered, apologies, dead, duplicates,
                    stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))).size(),
                    stubs.findAll(postRequestedFor(urlPathEqualTo(SEND))).size());
            assertThat(duplicates).isZero();
            assertThat(answered + apologies + dead).isEqualTo(500);
            assertThat(sends(twin)).as("the twin MsgId was answered once").isEqualTo(1);
        }
    }

    // ---- helpers ----

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("WECHAT_TOKEN", TOKEN);
        env.put("WECHAT_APP_ID", "wxit");
        env.put("WECHAT_APP_SECRET", "it-secret");
        env.put("OPENAI_API_KEY", "sk-it");
        env.put("WECHAT_API_BASE_URL", stubs.baseUrl());
        env.put("OPENAI_BASE_URL", stubs.baseUrl() + "/v1");
        env.put("REDIS_URL", "redis://127.0.0.1:" + redisServer.port());
        env.put("CHAT_QUEUE_LEASE_TTL", "3s");
        env.put("CHAT_RECOVERY_INTERVAL", "1000");
        env.put("CHAT_OPENAI_TIMEOUT", "1500");
        env.put("CHAT_RATE_LIMIT_PER_MINUTE", "0");
        env.put("CHAT_REDELIVERY_OPENAI_MAXIMUM_REDELIVERIES", "3");
        env.put("CHAT_REDELIVERY_OPENAI_REDELIVERY_DELAY", "50");
        env.put("CHAT_REDELIVERY_WECHAT_MAXIMUM_REDELIVERIES", "4");
        env.put("CHAT_REDELIVERY_WECHAT_REDELIVERY_DELAY", "50");
        return env;
    }

    private static String callback(ServiceProcess service, String openid, String msgId, String text) throws Exception {
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        String nonce = Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000_000));
        String xml = "<xml><ToUserName><![CDATA[gh_it]]></ToUserName><FromUserName><![CDATA[" + openid
                + "]]></FromUserName><CreateTime>" + timestamp + "</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                + "<Content><![CDATA[" + text + "]]></Content><MsgId>" + msgId + "</MsgId></xml>";
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(service.url("/wechat?signature="
                        + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp=" + timestamp + "&nonce=" + nonce)))
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(xml)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() == 200 && response.body().contains("<xml>") ? "busy" : response.body();
    }

    private static int sends(String openid) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser",
                equalTo(openid)))).size();
    }

    private static List<String> sentTexts(String openid) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser",
                equalTo(openid)))).stream()
                .map(request -> request.getBodyAsString().replaceAll(".*\"content\":\"([^\"]*)\".*", "$1"))
                .toList();
    }

    /** Sends WeChat accepted for this follower: requests answered with errcode 0, not the -1 the faults injected. */
    private static int sendsFor(String openid, String msgId) {
        return (int) stubs.getAllServeEvents().stream()
                .filter(event -> event.getRequest().getUrl().startsWith(SEND))
                .filter(event -> event.getRequest().getBodyAsString().contains("\"" + openid + "\""))
                .filter(event -> event.getResponse().getBodyAsString().contains("\"errcode\":0"))
                .count();
    }

    private static boolean answered(String openid, String msgId) {
        return sendsFor(openid, msgId) >= 1;
    }

    private static boolean apologised(String openid) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND))).stream()
                .anyMatch(r -> r.getBodyAsString().contains("\"" + openid + "\"") && r.getBodyAsString().contains("抱歉"));
    }

    private static String newMsgId() {
        return Long.toString(7_200_000_000_000_000_000L + ThreadLocalRandom.current().nextLong(1_000_000_000_000_000L));
    }

    private static void awaitTrue(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(100); // polling with a deadline
        }
    }
}
