package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.github.oac.store.EmbeddedRedis;
import io.github.oac.wechat.WechatSignature;

/**
 * Slow bodies from anyone on the internet, against the packaged service in the smallest heap it is run with: 2,000
 * connections to every kind of public path, each sending its body one byte every 2 s (inside Tomcat's 5 s between
 * reads), replaced when the service closes one (up to 500 new connections per 2 s). Meanwhile WeChat's signed callbacks and a health check must be
 * answered within 1 s; no connection may be held past the body deadline; afterwards the service answers as before,
 * with nothing logged at ERROR. Run on every JDK the machine has of 17 and 25 (the service runs on platform threads on
 * 17 and on virtual threads on 25); the figures are printed for the closing note.
 */
class SlowBodyIT {

    private static final String TOKEN = "slowtoken";
    private static final int CONNECTIONS = 2000;
    private static final Duration ATTACK = Duration.ofSeconds(12); // four read-timeouts (3 s) long
    private static final Duration DRIP = Duration.ofSeconds(2);
    /** chat.callback.read-timeout (3 s) and a generous margin for a loaded 2-core machine. */
    private static final Duration LONGEST_HOLD = Duration.ofSeconds(8);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static EmbeddedRedis redisServer;
    private static final WireMockServer stubs = new WireMockServer(WireMockConfiguration.options().dynamicPort());

    @BeforeAll
    static void startRedisAndStubs() {
        redisServer = EmbeddedRedis.start();
        stubs.start();
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token"))
                .willReturn(okJson("{\"access_token\":\"IT_TOKEN\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/message/custom/send"))
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(post(urlPathEqualTo("/v1/chat/completions")).willReturn(okJson(
                "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"fine\"}}]}")));
    }

    @AfterAll
    static void stopAll() throws Exception {
        stubs.stop();
        redisServer.close();
    }

    /** The JDKs to run the service on: this test's own, and Java 17 and 25 where the machine has them. */
    static Stream<String> jdks() throws IOException {
        Set<String> homes = new LinkedHashSet<>();
        for (String home : List.of(System.getProperty("java.home"), "/usr/lib/jvm/java-17-openjdk-amd64",
                "/usr/lib/jvm/temurin-25-jdk-amd64")) {
            File java = new File(home, "bin/java");
            if (java.canExecute()) {
                homes.add(new File(home).getCanonicalPath());
            }
        }
        return homes.stream();
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("jdks")
    void slowBodiesOnEveryPublicPathHoldNoConnectionAndStallNothing(String javaHome) throws Exception {
        String name = "slow-body-" + new File(javaHome).getName();
        try (ServiceProcess service = ServiceProcess.startPackaged(name, env(), javaHome, "256m")) {
            assertThat(callbackMillis(service)).as("answered before the attack").isLessThan(5000);
            service.collectGarbage();
            double heapBefore = heapUsed(service);

            List<Long> callbacks = new ArrayList<>();
            List<Long> healths = new ArrayList<>();
            double heapDuring = 0;
            Attack attack = new Attack(service.port());
            ExecutorService attacker = Executors.newSingleThreadExecutor();
            try {
                attack.fill();
                Future<?> attacking = attacker.submit(() -> attack.run(ATTACK));
                while (!attacking.isDone()) {
                    // WeChat's side, meanwhile: a signed callback and a health check every half second
                    callbacks.add(callbackMillis(service));
                    healths.add(healthMillis(service));
                    heapDuring = Math.max(heapDuring, heapUsed(service));
                    Thread.sleep(500); // the probes' pace
                }
                attacking.get();
            } finally {
                attacker.shutdownNow();
                attack.close();
            }
            Thread.sleep(3000); // the service's side of the closed connections settles
            long callbackAfter = callbackMillis(service);
            long healthAfter = healthMillis(service);
            service.collectGarbage();
            double heapAfter = heapUsed(service);
            String log = service.log();

            System.out.printf("[%s] slow bodies: %d connections opened, %d closed by the service, at most %d still "
                            + "open at a drip, longest held %d ms; signed callback during the attack max %d ms (median "
                            + "%d), health max %d ms (%d probes each); heap (after a GC) before %.1f MB, during at most "
                            + "%.1f MB, after (GC) %.1f MB; callback after %d ms%n", name, attack.opened,
                    attack.closedByService, attack.mostOpen, attack.longestHeldMillis,
                    callbacks.stream().mapToLong(Long::longValue).max().orElse(-1),
                    callbacks.stream().sorted().toList().get(callbacks.size() / 2),
                    healths.stream().mapToLong(Long::longValue).max().orElse(-1), callbacks.size(), heapBefore / 1e6,
                    heapDuring / 1e6, heapAfter / 1e6, callbackAfter);

            assertThat(service.isAlive()).isTrue();
            // each on a connection of its own, as WeChat's: the first may queue behind the attack's burst of
            // connections being accepted (about 1 s once in a full run); WeChat waits 5 s
            assertThat(callbacks).as("signed callbacks during the attack, ms").allMatch(millis -> millis < 2500);
            assertThat(healths).as("health checks during the attack, ms").allMatch(millis -> millis < 1000);
            assertThat(attack.longestHeldMillis).as("no slow body is held past its deadline")
                    .isLessThan(LONGEST_HOLD.toMillis());
            assertThat(callbackAfter).as("answered after the attack").isLessThan(1000);
            assertThat(healthAfter).isLessThan(1000);
            assertThat(log).doesNotContain("OutOfMemoryError").doesNotContain(" ERROR ");
        }
    }

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("WECHAT_TOKEN", TOKEN);
        env.put("WECHAT_APP_ID", "wxslow");
        env.put("WECHAT_APP_SECRET", "slow-secret");
        env.put("OPENAI_API_KEY", "sk-slow");
        env.put("WECHAT_API_BASE_URL", stubs.baseUrl());
        env.put("OPENAI_BASE_URL", stubs.baseUrl() + "/v1");
        env.put("REDIS_URL", "redis://127.0.0.1:" + redisServer.port());
        env.put("WECHAT_DELIVERY", "push");
        env.put("ADMIN_TOKEN", "slow-admin-token");
        env.put("CHAT_WECHAT_TYPING", "false");
        return env;
    }

    /** A new question, signed as WeChat signs it: ms until "success" (5000 and more: not answered in time). */
    private static long callbackMillis(ServiceProcess service) throws InterruptedException {
        String openid = "oslow" + ThreadLocalRandom.current().nextInt(1_000_000_000);
        String xml = "<xml><ToUserName><![CDATA[gh_it]]></ToUserName><FromUserName><![CDATA[" + openid
                + "]]></FromUserName><CreateTime>" + System.currentTimeMillis() / 1000 + "</CreateTime>"
                + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>"
                + (7_400_000_000_000_000_000L + ThreadLocalRandom.current().nextLong(1_000_000_000_000_000L))
                + "</MsgId></xml>";
        return timed(HttpRequest.newBuilder(URI.create(service.url("/wechat?" + signedQuery())))
                .header("Content-Type", "text/xml").POST(HttpRequest.BodyPublishers.ofString(xml)), "success");
    }

    private static long healthMillis(ServiceProcess service) throws InterruptedException {
        return timed(HttpRequest.newBuilder(URI.create(service.url("/actuator/health"))).GET(), "{\"status\":\"UP\"}");
    }

    private static long timed(HttpRequest.Builder request, String expected) throws InterruptedException {
        // a connection of its own, as WeChat's would be: a pooled one the service closed after its keep-alive (5 s, the
        // attack's start can take that long) fails when reused, the client's race, not the service's fault
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        long start = System.nanoTime();
        try {
            HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            long millis = (System.nanoTime() - start) / 1_000_000;
            return response.statusCode() == 200 && response.body().equals(expected) ? millis : 10_000 + millis;
        } catch (HttpTimeoutException late) {
            return 5000;
        } catch (IOException failed) {
            return 20_000;
        }
    }

    private static double heapUsed(ServiceProcess service) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(service.managementUrl(
                        "/actuator/metrics/jvm.memory.used?tag=area:heap"))).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body()).path("measurements").path(0).path("value").asDouble();
    }

    private static String signedQuery() {
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        String nonce = Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000_000));
        return "signature=" + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp=" + timestamp + "&nonce="
                + nonce;
    }

    /**
     * The attacker: CONNECTIONS connections, spread over every kind of public path, each sending headers and then a
     * body one byte per drip. A connection the service closed is counted and replaced by a new one.
     */
    private static final class Attack implements AutoCloseable {

        /** Request heads, one per kind of path; the body follows a byte at a time. */
        private static final List<String> KINDS = List.of(
                "POST /console HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 60000\r\n",
                "POST /actuator/health HTTP/1.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
                "POST /admin/stats HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                "POST /nothing/here HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 60000\r\n",
                "POST /wechat HTTP/1.1\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n",
                "POST /wechat?%s HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 60000\r\n",
                "POST /wechat?%s HTTP/1.1\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n",
                "GET /console/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n",
                "POST /sandbox/callback HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n",
                "PUT /wechat/other HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 60000\r\n");

        private static final int REOPEN = 500;

        private final InetSocketAddress address;
        private final List<Connection> connections = new ArrayList<>();
        private int next;
        int opened;
        int closedByService;
        int mostOpen;
        long longestHeldMillis;

        Attack(int port) {
            this.address = new InetSocketAddress("127.0.0.1", port);
        }

        void fill() throws IOException {
            while (connections.size() < CONNECTIONS) {
                connections.add(open());
            }
        }

        /** A byte on every connection every DRIP, for this long. */
        Void run(Duration duration) throws IOException, InterruptedException {
            long end = System.nanoTime() + duration.toNanos();
            while (System.nanoTime() < end) {
                long tick = System.nanoTime();
                drip();
                long rest = DRIP.toMillis() - (System.nanoTime() - tick) / 1_000_000;
                if (rest > 0) {
                    Thread.sleep(rest); // the attacker's pace
                }
            }
            return null;
        }

        /**
         * One byte more on every connection; the ones the service closed are replaced, up to REOPEN per drip (a
         * service that closes them at once would otherwise just see a flood of new connections).
         */
        void drip() throws IOException {
            ByteBuffer sink = ByteBuffer.allocate(4096);
            int open = 0;
            int reopened = 0;
            for (int i = 0; i < connections.size(); i++) {
                Connection connection = connections.get(i);
                if (connection == null) {
                    if (reopened++ < REOPEN) {
                        connections.set(i, open());
                    }
                    continue;
                }
                boolean closed;
                try {
                    int read;
                    do {
                        sink.clear();
                        read = connection.channel.read(sink); // the service's answer, if any, is of no interest
                    } while (read > 0);
                    closed = read < 0;
                    if (!closed) {
                        connection.channel.write(ByteBuffer.wrap(connection.chunked
                                ? "1\r\nx\r\n".getBytes(StandardCharsets.US_ASCII) : new byte[] {'x'}));
                    }
                } catch (IOException reset) {
                    closed = true;
                }
                if (closed) {
                    closedByService++;
                    connection.channel.close();
                    connections.set(i, reopened++ < REOPEN ? open() : null);
                } else {
                    open++;
                    long held = (System.nanoTime() - connection.openedAt) / 1_000_000;
                    longestHeldMillis = Math.max(longestHeldMillis, held);
                }
            }
            mostOpen = Math.max(mostOpen, open);
        }

        private Connection open() throws IOException {
            String head = KINDS.get(next++ % KINDS.size());
            if (head.contains("%s")) {
                head = head.formatted(signedQuery());
            }
            SocketChannel channel = SocketChannel.open(address);
            channel.write(ByteBuffer.wrap((head + "Host: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            channel.configureBlocking(false);
            opened++;
            return new Connection(channel, head.contains("chunked"), System.nanoTime());
        }

        @Override
        public void close() {
            for (Connection connection : connections) {
                if (connection == null) {
                    continue;
                }
                try {
                    connection.channel.close();
                } catch (IOException ignored) {
                    // gone already
                }
            }
        }

        private record Connection(SocketChannel channel, boolean chunked, long openedAt) {
        }
    }
}
