package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.oac.wechat.WechatSignature;

/**
 * The whole service on a random port, with the real YAML routes and a real (embedded) Redis. Only what lies outside
 * the project is stubbed: WeChat's API and the model server, both served by one WireMock on a random port.
 * Every test class shares this configuration, so Spring starts the context once.
 */
@CamelSpringBootTest
@AutoConfigureObservability // Spring Boot tests switch metrics export off otherwise; /actuator/prometheus is tested
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "chat.wechat.token=" + RouteTestSupport.TOKEN,
        "chat.wechat.app-id=" + RouteTestSupport.APP_ID,
        "chat.wechat.app-secret=" + RouteTestSupport.APP_SECRET,
        "chat.openai.api-key=" + RouteTestSupport.API_KEY,
        "chat.openai.model=test-model",
        "chat.openai.timeout=3000",
        "chat.wechat.timeout=3000",
        "chat.redelivery.openai.maximum-redeliveries=2",
        "chat.redelivery.openai.redelivery-delay=20",
        "chat.redelivery.openai.maximum-redelivery-delay=2000",
        "chat.redelivery.wechat.maximum-redeliveries=2",
        "chat.redelivery.wechat.redelivery-delay=20",
        "chat.redelivery.wechat.maximum-redelivery-delay=2000",
        "chat.callback.max-body-size=256KB",
        "chat.replies.click.HELP=发文字给我即可提问",
        "chat.openai.system-prompt=" + RouteTestSupport.SYSTEM_PROMPT,
        "chat.openai.headers.X-Provider-Extra=yes",
        "chat.openai.query.api-version=2024-10-21",
        "chat.admin.token=" + RouteTestSupport.ADMIN_TOKEN,
        "chat.recovery.interval=500",
        // what a test puts into Redis behind the service's back is found as a crashed instance's work is
        "chat.recovery.full-sweep=3s",
        "chat.breaker.minimum-calls=100000", // these tests fail the model on purpose; BreakerTest tests the breaker
        "chat.replies.click.LONG=" + RouteTestSupport.LONG_CLICK_REPLY,
        // each context its own embedded server's data dir: a shared pidfile would make contexts stop each other's
        "chat.redis.data-dir=target/test-redis/${random.uuid}",
        "chat.redis.embedded-debug=true", // tests stall Redis on purpose (DEBUG SLEEP)
        // these tests judge answers by their exact text; AiLabelTest tests the label, which is on by default
        "chat.replies.ai-label=",
        // these tests are about the push path; HybridDeliveryTest, PassiveDeliveryTest and AutoDeliveryTest set theirs
        "chat.delivery.mode=push",
        // the fake WeChat cuts a delivery at 5 s as WeChat does; 4.5 s (the default) left a loaded 2-core CI machine
        // too little margin to write the placeholder in time, 4 s leaves a second
        "chat.delivery.passive-wait=4000ms",
        // the cached contexts close when the test JVM exits: a graceful drain there waits on held callbacks until
        // Surefire kills the JVM (5 s a fork); nothing is judged after it
        "server.shutdown=immediate",
        // photos come from the fake WeChat on loopback; small limits, so PhotoTest can exceed and outlive them
        "chat.vision.image-hosts=127.0.0.1",
        "chat.vision.max-bytes=64KB",
        "chat.vision.keep=5s",
        "chat.vision.fetch-timeout=2000",
        // an idle consumer looks again every 0.5 s: a context then stops in about that, not in 5 s (the cached contexts
        // all stop when the test JVM exits, where Surefire waits 30 s at most)
        "chat.queue.poll-timeout=500",
        // 64 turns at once are plenty for any test here; 2000 idle consumers polling twice a second, in each of the
        // two dozen contexts Spring keeps, cost the whole run its CPU
        "chat.queue.consumers=64",
        // Camel's backlog tracer in every route, off until FlowCountsTest switches it on to count a question's steps
        "camel.trace.standby=true",
        "camel.trace.trace-templates=true", // the model providers' routes are made from templates
})
@org.junit.jupiter.api.extension.ExtendWith(OneSlotCheck.class)
public abstract class RouteTestSupport {

    public static final String TOKEN = "pamtest";
    public static final String APP_ID = "wxb11529c136998cb6";
    public static final String APP_SECRET = "test-app-secret-never-logged";
    public static final String API_KEY = "sk-test-key-never-logged";
    public static final String ACCESS_TOKEN = "ACCESS_TOKEN_1";
    public static final String SYSTEM_PROMPT = "You are a test assistant.";
    public static final String ADMIN_TOKEN = "admin-test-token";
    public static final String TYPING = "/cgi-bin/message/custom/typing";
    public static final String AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    public static final String AES_KEY_PREVIOUS = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    /** 3 + 3 * 1000 bytes of UTF-8, with a CDATA terminator up front. */
    public static final String LONG_CLICK_REPLY = "]]>" + LongText.THOUSAND_CHANG;

    public static final String COMPLETIONS = "/v1/chat/completions";
    public static final String SEND = "/cgi-bin/message/custom/send";
    public static final String STABLE_TOKEN = "/cgi-bin/stable_token";

    protected static final WireMockServer stubs = new WireMockServer(WireMockConfiguration.options().dynamicPort());

    static {
        stubs.start();
    }

    @DynamicPropertySource
    static void stubbedServers(DynamicPropertyRegistry registry) {
        registry.add("chat.openai.base-url", () -> stubs.baseUrl() + "/v1");
        registry.add("chat.wechat.api-base-url", stubs::baseUrl);
        TestTopology.register(registry); // the embedded server, or Sentinel or Cluster (-Doac.test.redis)
    }

    @Autowired
    protected TestRestTemplate http;
    @LocalManagementPort
    protected int managementPort;
    @Autowired
    protected CamelContext camel;
    @Autowired
    protected StringRedisTemplate redis;
    @Autowired
    protected io.github.oac.store.Keys keys;
    /** Of every key this context writes (its own on a shared Sentinel or Cluster: TestTopology). */
    @org.springframework.beans.factory.annotation.Value("${chat.redis.key-prefix}")
    protected String keyPrefix;
    @Autowired
    protected ObjectMapper json;
    @Autowired
    protected io.github.oac.wechat.AccessTokens accessTokens;
    @Autowired
    protected io.github.oac.config.Accounts accounts;

    @BeforeEach
    void resetStubsAndRedis() {
        stubs.resetAll();
        redis.execute((org.springframework.data.redis.core.RedisCallback<Object>) c -> {
            c.serverCommands().flushDb();
            return null;
        });
        for (String account : accounts.names()) { // this process's copies go with Redis's
            io.github.oac.wechat.Follower any = new io.github.oac.wechat.Follower(account, "any");
            accessTokens.forget(any, accessTokens.cached(any));
        }
        stubTokenEndpoint(ACCESS_TOKEN);
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(post(urlPathEqualTo(TYPING)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
    }

    /** Nothing a test started may still run into the next one: a late duplicate would be counted there, or nowhere. */
    @AfterEach
    void awaitNothingInFlight() {
        awaitQuiet(Duration.ofSeconds(30));
    }

    /** A URL on the management port (metrics, health details), which the public port does not serve. */
    protected String management(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    /**
     * The Redis round trips one short answer costs, from its callback (posted through postCallback, so in whatever
     * mode the test class runs) to the message leaving its inbox: the server's command log for this follower's and
     * this message's keys, signed requests and the access token, without this follower's lease heartbeat. The token
     * is fetched by a warm-up question first, as it is kept afterwards.
     */
    protected List<String> redisRoundTripsOfOneAnswer(String answer) throws Exception {
        stubModelAnswer(answer);
        postCallback(textMessage(newOpenid(), newMsgId(), "warm up"));
        awaitQuiet(Duration.ofSeconds(15));
        String openid = newOpenid();
        String msgId = newMsgId();
        try (RedisCommandLog log = RedisCommandLog.start(
                camel.getRegistry().findSingleByType(io.github.oac.store.RedisEndpoint.class).url())) {
            postCallback(textMessage(openid, msgId, "how many round trips?"));
            await(() -> sendsTo(openid), sends -> sends.size() == 1);
            awaitQuiet(Duration.ofSeconds(15));
            assertThat(textsSentTo(openid)).containsExactly(answer);
            return log.mentioning(openid, msgId, keyPrefix + "token:", keyPrefix + "replay:").stream()
                    .filter(line -> !line.contains("\"1\" \"" + keys.owner(openid) + "\"")) // the lease heartbeat
                    .toList();
        }
    }

    /** The texts WeChat received for this follower, in the order they arrived. */
    protected List<String> textsSentTo(String openid) {
        return sendsTo(openid).stream()
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate))
                .map(request -> {
                    try {
                        return bodyOf(request).path("text").path("content").asText();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toList();
    }

    // ---- WeChat side ----

    /**
     * Copies the project's routes/ into folder (emptied first), each file's text passed through edit (file name,
     * text), for a test that runs the service on an edited copy; called before the context starts.
     */
    protected static void copyRoutes(String folder, BiFunction<String, String, String> edit) {
        Path target = Path.of(folder);
        try {
            if (Files.exists(target)) {
                try (Stream<Path> old = Files.list(target)) {
                    for (Path file : old.toList()) {
                        Files.delete(file);
                    }
                }
            }
            Files.createDirectories(target);
            try (Stream<Path> routes = Files.list(
                    Path.of("routes"))) {
                for (Path file : routes.filter(Files::isRegularFile).toList()) {
                    String name = file.getFileName().toString();
                    Files.writeString(target.resolve(name),
                            edit.apply(name, Files.readString(file)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected static String newOpenid() {
        return "o" + UUID.randomUUID().toString().replace("-", "").substring(0, 27);
    }

    protected static String newMsgId() {
        // 64-bit ids as WeChat sends them, above 2^53 on purpose
        return Long.toString(7_000_000_000_000_000_000L + ThreadLocalRandom.current().nextLong(1_000_000_000_000_000L));
    }

    protected static String textMessage(String openid, String msgId, String content) {
        return "<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
                + "<FromUserName><![CDATA[" + openid + "]]></FromUserName>"
                + "<CreateTime>" + (System.currentTimeMillis() / 1000) + "</CreateTime>"
                + "<MsgType><![CDATA[text]]></MsgType>"
                + "<Content><![CDATA[" + content + "]]></Content>"
                + "<MsgId>" + msgId + "</MsgId></xml>";
    }

    protected static String eventMessage(String openid, String event, String eventKey) {
        return "<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
                + "<FromUserName><![CDATA[" + openid + "]]></FromUserName>"
                + "<CreateTime>" + (System.currentTimeMillis() / 1000) + "</CreateTime>"
                + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[" + event + "]]></Event>"
                + (eventKey == null ? "" : "<EventKey><![CDATA[" + eventKey + "]]></EventKey>") + "</xml>";
    }

    protected static String now() {
        return Long.toString(System.currentTimeMillis() / 1000);
    }

    protected static String newNonce() {
        return Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000_000));
    }

    /** POSTs a callback signed as WeChat signs it, with a fresh timestamp and nonce. */
    protected ResponseEntity<String> postCallback(String xml) {
        String timestamp = now();
        String nonce = newNonce();
        return postCallback(xml, WechatSignature.sign(TOKEN, timestamp, nonce), timestamp, nonce);
    }

    protected ResponseEntity<String> postCallback(String xml, String signature, String timestamp, String nonce) {
        return postCallback(xml, "signature=" + signature + "&timestamp=" + timestamp + "&nonce=" + nonce
                + "&openid=ignored");
    }

    protected ResponseEntity<String> postCallback(String xml, String query) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.TEXT_XML);
        return http.postForEntity("/wechat?" + query, new HttpEntity<>(xml, headers), String.class);
    }

    /** What one delivery of a callback got: WeChat cut it after 5 s without a response, or the response. */
    protected record Delivery(boolean cut, int status, String body, long millis) {
    }


    /**
     * Delivers a callback as WeChat does: a delivery without a response within 5 s is cut and sent again with the
     * very same query string, up to {@code attempts} deliveries in all; stops at the first response.
     */
    protected List<Delivery> deliverAsWechat(String xml, String query, int attempts) throws Exception {
        // a client of its own, as WeChat opens connections of its own: a pooled connection the server closed after
        // its keep-alive (5 s) could otherwise be picked just as it closes
        java.net.http.HttpClient wechat = java.net.http.HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2)).build();
        List<Delivery> deliveries = new java.util.ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            long start = System.nanoTime();
            try {
                java.net.http.HttpResponse<String> response = wechat.send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create(http.getRootUri() + "/wechat?" + query))
                        .timeout(Duration.ofSeconds(5)).header("Content-Type", "text/xml")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(xml)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                deliveries.add(new Delivery(false, response.statusCode(), response.body(),
                        (System.nanoTime() - start) / 1_000_000));
                return deliveries;
            } catch (java.net.http.HttpTimeoutException cut) {
                deliveries.add(new Delivery(true, 0, null, (System.nanoTime() - start) / 1_000_000));
            }
        }
        return deliveries;
    }

    /** A signed query string with a fresh timestamp and nonce, as WeChat puts on one message's deliveries. */
    protected static String signedQuery() {
        return signedQuery(TOKEN);
    }

    /** The same, signed with another account's token. */
    protected static String signedQuery(String token) {
        String timestamp = now();
        String nonce = newNonce();
        return "signature=" + WechatSignature.sign(token, timestamp, nonce) + "&timestamp=" + timestamp + "&nonce="
                + nonce + "&openid=ignored";
    }

    /** POSTs a callback to the account's URL (/wechat/<account>), signed with the token given. */
    protected ResponseEntity<String> postTo(String account, String token, String xml) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.TEXT_XML);
        return http.postForEntity("/wechat/" + account + "?" + signedQuery(token), new HttpEntity<>(xml, headers),
                String.class);
    }

    /** The Content of a plaintext passive reply, or null when the body is not one. */
    protected static String passiveText(String body) {
        if (body == null || !body.startsWith("<xml>")) {
            return null;
        }
        try {
            return new com.fasterxml.jackson.dataformat.xml.XmlMapper().readTree(body).path("Content").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- stubs ----

    protected static void stubTokenEndpoint(String accessToken) {
        stubs.stubFor(post(urlPathEqualTo(STABLE_TOKEN))
                .willReturn(okJson("{\"access_token\":\"" + accessToken + "\",\"expires_in\":7200}")));
    }

    /** The model answers this question (the request's last message) with this answer, after delayMillis. */
    protected static void stubAnswer(String question, String answer, int delayMillis) {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[-1].content", equalTo(question)))
                .willReturn(okJson(completion(answer)).withFixedDelay(delayMillis)));
    }

    protected static void stubModelAnswer(String answer) {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion(answer))));
    }

    protected static String completion(String answer) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":" + quote(answer) + "},\"finish_reason\":\"stop\"}]}";
    }

    protected static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder status(int status) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"stubbed " + status + "\"}}");
    }

    // ---- what the stubs saw ----

    protected static List<LoggedRequest> sendsTo(String openid) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND))
                .withRequestBody(matchingJsonPath("$.touser", equalTo(openid))));
    }

    /** Model requests whose last message is the follower's {@code content}. */
    protected static List<LoggedRequest> modelCallsAsking(String content) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))).stream()
                .filter(request -> {
                    try {
                        JsonNode messages = new ObjectMapper().readTree(request.getBodyAsString()).path("messages");
                        return content.equals(messages.path(messages.size() - 1).path("content").asText());
                    } catch (Exception e) {
                        return false;
                    }
                })
                .toList();
    }

    protected JsonNode bodyOf(LoggedRequest request) throws Exception {
        return json.readTree(request.getBodyAsString());
    }

    /** Nothing reached the model or WeChat for this follower (checked after a later message went all the way). */
    protected void assertNothingQueuedFor(String openid, String question) {
        String sentinel = newOpenid();
        stubModelAnswer("sentinel");
        postCallback(textMessage(sentinel, newMsgId(), "sentinel for " + openid));
        await(() -> sendsTo(sentinel), list -> !list.isEmpty());
        assertThat(sendsTo(openid)).isEmpty();
        if (!question.isEmpty()) {
            assertThat(modelCallsAsking(question)).isEmpty();
        }
        stubs.verify(0, postRequestedFor(urlPathEqualTo(SEND)).withRequestBody(
                com.github.tomakehurst.wiremock.client.WireMock.containing(openid)));
    }

    /** Waits until every accepted message of this follower has had its turn (their inbox is gone). */
    protected void awaitTurnsFinished(String openid) {
        await(() -> redis.hasKey(keys.inbox(openid)), Boolean.FALSE::equals);
    }

    /**
     * Waits until nothing is in flight: every inbox drained and no Camel exchange running (a turn, a retry, a typing
     * call). Judge only then, or a late duplicate would go unseen.
     */
    protected void awaitQuiet(Duration atMost) {
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(50))
                .until(() -> redis.keys(keyPrefix + "{*}:inbox").isEmpty()
                        && camel.getInflightRepository().size() == 0);
    }

    /** Polls with a deadline: the SEDA side is asynchronous by design. */
    protected static <T> T await(Supplier<T> probe, java.util.function.Predicate<T> done) {
        return Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                .until(probe::get, done::test);
    }

    private static String quote(String s) {
        try {
            return new ObjectMapper().writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
