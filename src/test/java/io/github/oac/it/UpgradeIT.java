package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static io.github.oac.it.WechatSide.awaitTrue;
import static io.github.oac.it.WechatSide.deliver;
import static io.github.oac.it.WechatSide.newMsgId;
import static io.github.oac.it.WechatSide.passiveText;
import static io.github.oac.it.WechatSide.serviceEnv;
import static io.github.oac.it.WechatSide.signedQuery;
import static io.github.oac.it.WechatSide.text;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import redis.clients.jedis.Jedis;

/**
 * An upgrade that loses nothing: the previous release's own jar (built from its commit, the one before the keyspace
 * changed) writes its data into a Redis, and is killed with work in flight; this build starts on that Redis and
 * answers the question in flight exactly once, keeps the conversation, the rest kept for 继续, the answer owed to a
 * follower's next message and the dead letter, and leaves no key under an old name.
 */
class UpgradeIT {

    /** The commit before issue 27's first: the release whose keys had no hash tags. */
    private static final String PREVIOUS_RELEASE = "02f3bdd7dd27b6bf624bd6431d3915f404958b0d";
    private static final Path PREVIOUS_DIR = Path.of("target/previous-release");
    private static final String TOKEN = "ittoken";
    private static final String ADMIN_TOKEN = "it-admin-token";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final String COMPLETIONS = "/v1/chat/completions";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ProcessHarness harness = new ProcessHarness();
    private static final WireMockServer stubs = harness.stubs();
    private static Jedis redis;
    private static String previousJar;

    @BeforeAll
    static void buildThePreviousRelease() throws Exception {
        previousJar = previousReleaseJar();
        redis = harness.redis();
    }

    @Test
    void dataOfThePreviousReleaseIsAnsweredOnceAndKept() throws Exception {
        int run = ThreadLocalRandom.current().nextInt(1_000_000);
        String owedTo = "oowed" + run;
        String remembering = "omemory" + run;
        String refused = "orefused" + run;
        String longReader = "olong" + run;
        String inFlight = "oflight" + run;
        String deadMsgId = newMsgId();
        String part = "这是一段很长的回答，用来把回答分成好几条客服消息。".repeat(30); // about 1.4 KB: one message each
        String longAnswer = String.join("\n\n", part + "一", part + "二", part + "三", part + "四", part + "五",
                part + "六的余下部分");

        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token"))
                .willReturn(okJson("{\"access_token\":\"IT_TOKEN\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(containing(refused)).atPriority(1)
                .willReturn(okJson("{\"errcode\":43004,\"errmsg\":\"require subscribe\"}")));
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/message/custom/typing"))
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubModel("", "an answer", 0, 10);
        stubModel("think long", "owed answer", 16_000, 1);
        stubModel("remember 42", "noted", 0, 1);
        stubModel("write a lot", longAnswer, 0, 1);
        stubModel("in flight", "never sent", 120_000, 1);

        // The previous release, in passive delivery: an answer becomes owed to the follower's next message.
        ServiceProcess passive = ServiceProcess.start("upgrade-previous-passive", env("passive"), previousJar);
        try {
            String xml = text(owedTo, newMsgId(), "think long");
            String query = signedQuery(TOKEN);
            List<String> deliveries = List.of(deliver(passive, xml, query), deliver(passive, xml, query),
                    deliver(passive, xml, query));
            assertThat(passiveText(deliveries.get(2))).as("the last delivery got the placeholder").isNotBlank();
            awaitTrue(Duration.ofSeconds(30), () -> redis.exists("oac:outbox:" + owedTo));
            passive.stop();
        } finally {
            passive.close();
        }

        // The previous release, in push delivery: a conversation, a dead letter, a rest for 继续, one in flight.
        ServiceProcess push = ServiceProcess.start("upgrade-previous-push", env("push"), previousJar);
        try {
            assertThat(deliver(push, text(remembering, newMsgId(), "remember 42"), signedQuery(TOKEN)))
                    .isEqualTo("success");
            assertThat(deliver(push, text(refused, deadMsgId, "who are you"), signedQuery(TOKEN))).isEqualTo("success");
            assertThat(deliver(push, text(longReader, newMsgId(), "write a lot"), signedQuery(TOKEN)))
                    .isEqualTo("success");
            awaitTrue(Duration.ofSeconds(30), () -> sentTexts(remembering).size() == 1
                    && redis.hexists("oac:dead", deadMsgId) && redis.exists("oac:pending:" + longReader)
                    && !redis.exists("oac:inbox:" + longReader));
            assertThat(deliver(push, text(inFlight, newMsgId(), "in flight"), signedQuery(TOKEN))).isEqualTo("success");
            awaitTrue(Duration.ofSeconds(20), () -> !modelRequests("in flight").isEmpty());
            push.kill(); // the question's turn dies with it, its lease held
        } finally {
            push.close();
        }
        assertThat(redis.keys("oac:progress:*")).as("the previous release left a turn in flight").isNotEmpty();
        int longSends = sentTexts(longReader).size();
        assertThat(longSends).as("the first batch of the long answer").isEqualTo(5);

        // This build, on the same Redis.
        stubModel("in flight", "the answer in flight", 0, 1); // the newest of equal priority wins
        try (ServiceProcess current = ServiceProcess.start("upgrade-current", env("push"))) {
            awaitTrue(Duration.ofSeconds(60), () -> sentTexts(inFlight).size() == 1
                    && redis.keys("oac:{*}:inbox").isEmpty());
            Thread.sleep(1500); // a doubled answer would have arrived by now
            assertThat(sentTexts(inFlight)).as("the question in flight, answered exactly once")
                    .containsExactly("the answer in flight");

            assertThat(deliver(current, text(remembering, newMsgId(), "what did I say?"), signedQuery(TOKEN)))
                    .isEqualTo("success");
            awaitTrue(Duration.ofSeconds(20), () -> sentTexts(remembering).size() == 2);
            List<LoggedRequest> asked = modelRequests("what did I say?");
            assertThat(asked).hasSize(1);
            assertThat(asked.get(0).getBodyAsString()).as("the conversation is kept")
                    .contains("remember 42").contains("noted");

            assertThat(deliver(current, text(longReader, newMsgId(), "继续"), signedQuery(TOKEN)))
                    .isEqualTo("success");
            // the rest may go out in more than one message: judge once the turn is over (its inbox empty)
            awaitTrue(Duration.ofSeconds(20), () -> sentTexts(longReader).size() > longSends
                    && !redis.exists("oac:{" + longReader + "}:inbox")
                    && redis.keys("oac:{" + longReader + "}:progress:*").isEmpty());
            assertThat(String.join("", sentTexts(longReader).subList(longSends, sentTexts(longReader).size())))
                    .as("the rest kept for 继续").contains("六的余下部分");
            assertThat(modelRequests("继续")).as("继续 asks no model").isEmpty();

            String next = deliver(current, text(owedTo, newMsgId(), "are you there?"), signedQuery(TOKEN));
            assertThat(passiveText(next)).as("the owed answer goes with the next message").startsWith("owed answer");
            assertThat(modelRequests("think long")).as("asked once, before the upgrade").hasSize(1);

            HttpResponse<String> letters = HTTP.send(HttpRequest.newBuilder(URI.create(current.url(
                    "/admin/dead-letters"))).header("Authorization", "Bearer " + ADMIN_TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(letters.statusCode()).isEqualTo(200);
            JsonNode listed = JSON.readTree(letters.body()).path("letters");
            assertThat(listed.findValuesAsText("id")).as("the dead letter is kept").contains(deadMsgId);

            // what keeps its old name: answered messages' de-duplication records and reply slots, adopted by a
            // re-delivery and gone with their time to live; the token and used signatures keep their names
            assertThat(redis.keys("oac:[a-z]*")).as("no follower's or account's key under an old name")
                    .allMatch(key -> key.startsWith("oac:token:") || key.startsWith("oac:replay:")
                            || key.startsWith("oac:dedup:") || key.startsWith("oac:reply:"));
            assertThat(current.log()).contains("written by an earlier release to their new names");
        }
    }

    // ---- the previous release ----

    /** The previous release's jar, built once from its commit (git archive, then an offline Maven package). */
    private static synchronized String previousReleaseJar() throws Exception {
        Path jar = PREVIOUS_DIR.resolve("target/officialaccount-chatgpt.jar");
        if (Files.exists(jar)) {
            return jar.toString();
        }
        Files.createDirectories(PREVIOUS_DIR);
        Path archive = Path.of("target/previous-release.tar");
        run(List.of("git", "archive", "--format=tar", "-o", archive.toString(), PREVIOUS_RELEASE), Path.of("."));
        run(List.of("tar", "-xf", archive.toAbsolutePath().toString()), PREVIOUS_DIR);
        // offline: this build already fetched everything the previous one needs
        run(List.of("mvn", "-B", "-q", "-o", "package", "-DskipTests"), PREVIOUS_DIR);
        assertThat(jar).exists();
        return jar.toString();
    }

    private static void run(List<String> command, Path dir) throws Exception {
        File log = new File("target/it-logs/previous-release-build.log");
        log.getParentFile().mkdirs();
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " took more than 5 minutes");
        }
        assertThat(process.exitValue()).as(command + " (see " + log + ")").isZero();
    }

    // ---- helpers ----

    private static Map<String, String> env(String mode) {
        Map<String, String> env = serviceEnv(TOKEN, stubs.baseUrl(), harness.redisPort(), mode);
        env.put("ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("CHAT_OPENAI_TIMEOUT", "180000");
        env.put("CHAT_WECHAT_TYPING", "false");
        env.put("CHAT_RATE_LIMIT_PER_MINUTE", "0");
        return env;
    }

    /** The model answers this question (every question: ""); a higher priority (lower number) wins. */
    private static void stubModel(String question, String answer, int delayMillis, int priority) throws Exception {
        var request = post(urlPathEqualTo(COMPLETIONS)).atPriority(priority);
        if (!question.isEmpty()) {
            request = request.withRequestBody(matchingJsonPath("$.messages[-1].content", equalTo(question)));
        }
        stubs.stubFor(request.willReturn(okJson(JSON.writeValueAsString(Map.of("choices", List.of(Map.of(
                "message", Map.of("role", "assistant", "content", answer)))))).withFixedDelay(delayMillis)));
    }

    private static List<LoggedRequest> modelRequests(String question) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[-1].content", equalTo(question))));
    }

    /** The texts sent to this follower by customer-service message, in the order they were sent. */
    private static List<String> sentTexts(String openid) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND)).withRequestBody(containing(openid))).stream()
                .filter(request -> !request.getBodyAsString().contains("errcode"))
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate))
                .map(request -> {
                    try {
                        return JSON.readTree(request.getBodyAsString()).path("text").path("content").asText();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }).toList();
    }

}
