package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static io.github.oac.it.WechatSide.awaitTrue;
import static io.github.oac.it.WechatSide.newMsgId;
import static io.github.oac.it.WechatSide.serviceEnv;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

import io.github.oac.wechat.WechatSignature;
import redis.clients.jedis.Jedis;

/**
 * The promise under real failures: the packaged jar as separate processes sharing one Redis, killed with SIGKILL,
 * stopped with SIGTERM, run side by side, against a fake WeChat and a fake model that fail at random.
 */
class RecoveryIT {

    /** The service's key names, as it builds them (default prefix). */
    private static final io.github.oac.store.Keys keys = new io.github.oac.store.Keys("oac:");

    private static final String TOKEN = "ittoken";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final String COMPLETIONS = "/v1/chat/completions";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static final RandomFaults faults = new RandomFaults();
    @RegisterExtension
    static final ProcessHarness harness = new ProcessHarness(WireMockConfiguration.options().extensions(faults)
            .containerThreads(64));
    private static final WireMockServer stubs = harness.stubs();
    private static Jedis redis;

    @BeforeAll
    static void lookIntoRedis() {
        redis = harness.redis();
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
            awaitTrue(Duration.ofSeconds(30), () -> !redis.exists(keys.inbox(openid)));
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
            awaitTrue(Duration.ofSeconds(30), () -> redis.keys("oac:{*}:inbox").isEmpty());
            for (String openid : openids) {
                assertThat(sentTexts(openid)).as(openid).containsExactly("answer");
            }
        }
    }

    @Test
    void turnsStillRunningAtAGracefulStopStayInRedisAndTheNextStartAnswersThem() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(
                "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"answer\"}}]}")
                .withFixedDelay(1200)));
        Map<String, String> impatient = env();
        impatient.put("CAMEL_MAIN_SHUTDOWN_TIMEOUT", "1"); // shorter than one model call: turns are cut off
        impatient.put("CHAT_QUEUE_CONSUMERS", "2");
        List<String> openids = new ArrayList<>();
        ServiceProcess first = ServiceProcess.start("cut-off-first", impatient);
        try {
            for (int i = 0; i < 10; i++) {
                String openid = "ocutoff" + i + "x" + ThreadLocalRandom.current().nextInt(1_000_000);
                openids.add(openid);
                assertThat(callback(first, openid, newMsgId(), "question " + i)).isEqualTo("success");
            }
            awaitTrue(Duration.ofSeconds(20), () -> !stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS)))
                    .isEmpty());
            first.stop();
        } finally {
            first.close();
        }
        assertThat(redis.keys("oac:{*}:inbox")).as("unfinished turns stay in Redis").isNotEmpty();

        try (ServiceProcess second = ServiceProcess.start("cut-off-second", env())) {
            awaitTrue(Duration.ofSeconds(60), () -> openids.stream().allMatch(openid -> sends(openid) >= 1));
            awaitTrue(Duration.ofSeconds(30), () -> redis.keys("oac:{*}:inbox").isEmpty());
            for (String openid : openids) {
                assertThat(sentTexts(openid)).as(openid).containsExactly("answer");
            }
        }
    }

    @Test
    void twoInstancesOnOneRedisAnswerEachMessageOnceAndInOrderUnderRandomFaults() throws Exception {
        System.out.println("Fault run seed " + RandomFaults.SEED + " (repeat it with -Dit.seed=" + RandomFaults.SEED
                + ")");
        // the answer names its question, so every delivery is counted for its own MsgId
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson("{\"choices\":[{\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"answer to {{jsonPath request.body '$.messages[-1].content'}}\"}}]}")
                .withTransformers("response-template")));
        List<ServiceProcess> pair = ServiceProcess.startTwo("pair-a", "pair-b", env());
        try (ServiceProcess a = pair.get(0); ServiceProcess b = pair.get(1)) {
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

            // 250 followers ask twice, once on each instance, in order; faults throughout, and Redis stalls once
            // for longer than a lease
            faults.on(true);
            Map<String, List<String>> asked = new LinkedHashMap<>(); // openid -> its MsgIds, in the order asked
            Map<String, String> outcomes = new ConcurrentHashMap<>(); // MsgId -> success, busy or refused
            List<Future<?>> posts = new ArrayList<>();
            for (int f = 0; f < 250; f++) {
                String openid = "ofault" + f + "x" + ThreadLocalRandom.current().nextInt(1_000_000);
                List<String> ids = List.of(newMsgId(), newMsgId());
                asked.put(openid, ids);
                posts.add(pool.submit(() -> {
                    for (int k = 0; k < ids.size(); k++) {
                        outcomes.put(ids.get(k), callbackAsWechat(k == 0 ? a : b, openid, ids.get(k),
                                "question " + ids.get(k)));
                    }
                    return null;
                }));
                if (f == 125) {
                    stallRedis(4); // CHAT_QUEUE_LEASE_TTL is 3 s
                }
            }
            for (Future<?> post : posts) {
                post.get();
            }
            pool.shutdown();
            awaitTrue(Duration.ofSeconds(300), () -> redis.keys("oac:{*}:inbox").isEmpty());
            faults.on(false);

            FaultTally tally = FaultTally.of(asked, outcomes, FaultTally.acceptedSends(stubs),
                    id -> redis.hexists(keys.deadLetters(), id));
            System.out.printf("Fault run: %s, of %d asked (model requests=%d, send requests=%d)%n", tally,
                    outcomes.size(), stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))).size(),
                    stubs.findAll(postRequestedFor(urlPathEqualTo(SEND))).size());
            assertThat(tally.duplicated()).as("MsgIds answered more than once").isEmpty();
            assertThat(tally.silent()).as("followers whose unanswered messages got no apology").isEmpty();
            assertThat(tally.outOfOrder()).as("followers answered out of order").isEmpty();
            assertThat(tally.lost()).as("accepted, then lost").isZero();
            assertThat(tally.accepted()).as("most callbacks accepted").isGreaterThan(450);
            assertThat(tally.dead()).as("dead letters stay rare").isLessThan(tally.accepted() / 10);
            assertThat(tally.apologised()).as("apologies stay rare").isLessThan(tally.accepted() / 10);
            assertThat(sends(twin)).as("the twin MsgId was answered once").isEqualTo(1);
        }
    }

    // ---- helpers ----

    private static Map<String, String> env() {
        Map<String, String> env = serviceEnv(TOKEN, stubs.baseUrl(), harness.redisPort(), "push");
        RandomFaults.tuneService(env);
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

    /** As WeChat sends it: a 503 or no answer within 5 s is tried again (three retries), then given up. */
    private static String callbackAsWechat(ServiceProcess service, String openid, String msgId, String text)
            throws InterruptedException {
        for (int attempt = 0; attempt < 4; attempt++) {
            try {
                String answer = callback(service, openid, msgId, text);
                if ("success".equals(answer) || "busy".equals(answer)) {
                    return answer;
                }
            } catch (Exception timedOut) {
                // WeChat retries too
            }
            Thread.sleep(1000);
        }
        return "refused";
    }

    /** Blocks the Redis server itself: every client waits, and leases run out meanwhile. */
    private static void stallRedis(int seconds) {
        try (Jedis jedis = new Jedis("127.0.0.1", harness.redisPort(), (seconds + 5) * 1000)) {
            jedis.sendCommand(() -> "DEBUG".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "SLEEP",
                    Integer.toString(seconds));
        }
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

}
