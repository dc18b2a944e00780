package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.github.oac.wechat.WechatSignature;
import redis.clients.jedis.Jedis;

/**
 * The README's first command, java -jar without REDIS_URL, killed with SIGKILL mid-answer and started again the same
 * way: the embedded redis-server it left behind is replaced and what it had accepted is answered, once.
 */
class EmbeddedRedisRestartIT {

    /** The service's key names, as it builds them (default prefix). */
    private static final io.github.oac.store.Keys keys = new io.github.oac.store.Keys("oac:");

    private static final String TOKEN = "ittoken";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final String COMPLETIONS = "/v1/chat/completions";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static final WireMockServer stubs = new WireMockServer(WireMockConfiguration.options().dynamicPort());
    private static final Path dataDir = Path.of("target", "it-data", UUID.randomUUID().toString()).toAbsolutePath();
    /** Every redis-server pid this test saw, so none outlives it whatever fails. */
    private static final Set<Long> redisPids = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void startStubs() {
        stubs.start();
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token"))
                .willReturn(okJson("{\"access_token\":\"IT_TOKEN\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/message/custom/typing"))
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        // slow enough to be killed mid-call, well inside the model timeout below
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(
                "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"slow answer\"}}]}")
                .withFixedDelay(3000)));
    }

    @AfterAll
    static void stopStubsAndAnyRedisLeft() throws Exception {
        stubs.stop();
        pidInPidfile().ifPresent(redisPids::add);
        for (long pid : redisPids) {
            Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(EmbeddedRedisRestartIT::isRedisServer);
            if (process.isPresent()) {
                process.get().destroy();
                try {
                    process.get().onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception stillRunning) {
                    process.get().destroyForcibly();
                }
            }
        }
    }

    @Test
    void killedServiceAnswersItsQuestionOnceAfterRestartOnTheEmbeddedDefault() throws Exception {
        String openid = "oembedded" + ThreadLocalRandom.current().nextInt(1_000_000);
        String msgId = Long.toString(700_000_000_000_000_000L + ThreadLocalRandom.current().nextLong(1_000_000_000L));

        ServiceProcess first = ServiceProcess.start("embedded-first", env());
        long stale;
        int port;
        try {
            stale = pidInPidfile().orElseThrow();
            redisPids.add(stale);
            port = portInPortfile();
            assertThat(callback(first, openid, msgId, "in flight")).isEqualTo("success");
            awaitTrue(Duration.ofSeconds(20), () -> !stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS)))
                    .isEmpty());
            first.kill();
        } finally {
            first.close();
        }
        // the redis-server goes with the JVM that started it, even after SIGKILL (its parent-death signal, SIGTERM,
        // makes it flush the append-only file first): nothing is left running
        awaitTrue(Duration.ofSeconds(10), () -> ProcessHandle.of(stale).filter(ProcessHandle::isAlive).isEmpty());
        assertThat(sends(openid)).isZero();

        long replacement;
        try (ServiceProcess second = ServiceProcess.start("embedded-second", env())) {
            replacement = pidInPidfile().orElseThrow();
            redisPids.add(replacement);
            assertThat(ProcessHandle.of(stale).filter(ProcessHandle::isAlive)).as("the stale server stopped").isEmpty();
            assertThat(replacement).isNotEqualTo(stale);
            assertThat(portInPortfile()).as("on the remembered port").isEqualTo(port);
            assertThat(second.log()).doesNotContain("stopped the stale redis-server");

            awaitTrue(Duration.ofSeconds(60), () -> sends(openid) >= 1);
            try (Jedis redis = new Jedis("127.0.0.1", port)) {
                redis.auth(Files.readString(dataDir.resolve("redis.secret")).strip()); // the server has a password
                awaitTrue(Duration.ofSeconds(30), () -> !redis.exists(keys.inbox(openid))
                        && redis.keys("oac:{*}:inbox").isEmpty());
            }
            assertThat(sentTexts(openid)).as("answered exactly once, with the answer").containsExactly("slow answer");

            // a graceful stop mid-answer: the embedded server must outlive the turns Camel lets finish
            String late = openid + "late";
            int modelCalls = stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))).size();
            assertThat(callback(second, late, msgId + "1", "asked before the stop")).isEqualTo("success");
            awaitTrue(Duration.ofSeconds(20), () -> stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS)))
                    .size() > modelCalls);
            second.stop();
            assertThat(second.isAlive()).isFalse();
            assertThat(sentTexts(late)).as("answered before the service exited").containsExactly("slow answer");
        }
        awaitTrue(Duration.ofSeconds(10), () -> ProcessHandle.of(replacement).filter(ProcessHandle::isAlive).isEmpty());
        assertThat(dataDir.resolve("redis.pid")).as("removed by redis on a clean shutdown").doesNotExist();
    }

    @Test
    void twoInstancesStartedAtOnceOnOneDataDirCannotBothRun() throws Exception {
        java.util.concurrent.CompletableFuture<ServiceProcess> a = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> startQuietly("same-dir-a"));
        java.util.concurrent.CompletableFuture<ServiceProcess> b = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> startQuietly("same-dir-b"));
        ServiceProcess first = a.join();
        ServiceProcess second = b.join();
        try {
            assertThat(java.util.stream.Stream.of(first, second).filter(java.util.Objects::nonNull).count())
                    .as("exactly one of them runs").isEqualTo(1);
            String refused = Files.readString(Path.of("target/it-logs/" + (first == null ? "same-dir-a" : "same-dir-b")
                    + ".log"));
            assertThat(refused).contains("is in use by the running service");
        } finally {
            for (ServiceProcess service : new ServiceProcess[] {first, second}) {
                if (service != null) {
                    service.stop();
                }
            }
        }
    }

    private static ServiceProcess startQuietly(String name) {
        try {
            return ServiceProcess.start(name, env());
        } catch (Exception exitedOrNeverHealthy) {
            return null;
        }
    }

    // ---- helpers ----

    /** The README's first command: no REDIS_URL, only the data dir chosen (a fresh one per run). */
    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("WECHAT_TOKEN", TOKEN);
        env.put("WECHAT_DELIVERY", "push"); // these runs count customer-service sends
        env.put("WECHAT_APP_ID", "wxit");
        env.put("WECHAT_APP_SECRET", "it-secret");
        env.put("OPENAI_API_KEY", "sk-it");
        env.put("WECHAT_API_BASE_URL", stubs.baseUrl());
        env.put("OPENAI_BASE_URL", stubs.baseUrl() + "/v1");
        env.put("REDIS_URL", null);
        env.put("CHAT_DATA_DIR", dataDir.toString());
        env.put("CHAT_QUEUE_LEASE_TTL", "3s");
        env.put("CHAT_RECOVERY_INTERVAL", "1000");
        env.put("CHAT_RECOVERY_FULL_SWEEP", "3s");
        env.put("CHAT_OPENAI_TIMEOUT", "10000");
        env.put("CHAT_RATE_LIMIT_PER_MINUTE", "0");
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
        return response.body();
    }

    private static int sends(String openid) {
        return sentTexts(openid).size();
    }

    private static List<String> sentTexts(String openid) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser",
                equalTo(openid)))).stream()
                .map(request -> request.getBodyAsString().replaceAll(".*\"content\":\"([^\"]*)\".*", "$1"))
                .toList();
    }

    private static Optional<Long> pidInPidfile() {
        try {
            return Optional.of(Long.parseLong(Files.readString(dataDir.resolve("redis.pid")).trim()));
        } catch (IOException | NumberFormatException none) {
            return Optional.empty();
        }
    }

    private static int portInPortfile() throws IOException {
        return Integer.parseInt(Files.readString(dataDir.resolve("redis.port")).trim());
    }

    private static boolean isRedisServer(ProcessHandle process) {
        // Debian's redis-server is a link to the binary also called redis-check-rdb
        return process.isAlive() && process.info().command()
                .map(command -> command.contains("redis-server") || command.endsWith("redis-check-rdb"))
                .orElse(false);
    }

    private static void awaitTrue(Duration timeout, java.util.concurrent.Callable<Boolean> condition) {
        Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(condition);
    }
}
