package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.github.oac.it.WechatSide.awaitTrue;
import static io.github.oac.it.WechatSide.deliver;
import static io.github.oac.it.WechatSide.newMsgId;
import static io.github.oac.it.WechatSide.serviceEnv;
import static io.github.oac.it.WechatSide.signedQuery;
import static io.github.oac.it.WechatSide.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

/**
 * Two service processes sharing one model provider's limit (600 requests a minute, a burst of 2 s: 20) through one
 * Redis: 300 questions of 100 followers sent to both as fast as they go reach the model no faster than the limit
 * allows (in any 10 s: the limit's share, 100, plus the burst, 20, plus the few calls permitted just before the
 * window that arrive in it), all answered once; a 429 with Retry-After: 5 to one instance pauses both.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProviderLimitsIT {

    private static final String TOKEN = "ittoken";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final String COMPLETIONS = "/v1/chat/completions";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 600 a minute for 10 s, and the burst the bucket may hold at the start of a window (2 s of it). */
    private static final int WINDOW_SHARE = 100;
    private static final int BURST = 20;
    /**
     * Calls permitted just before a window that reach the model within it: half a second's share, the time a permitted
     * call may take to arrive when two services and the fake model share two busy cores.
     */
    private static final int IN_TRANSIT = 5;

    @RegisterExtension
    static final ProcessHarness harness = new ProcessHarness(WireMockConfiguration.options().containerThreads(64));
    private static final WireMockServer stubs = harness.stubs();
    private static ServiceProcess a;
    private static ServiceProcess b;

    @BeforeAll
    static void twoInstances() throws Exception {
        Map<String, String> env = serviceEnv(TOKEN, stubs.baseUrl(), harness.redisPort(), "push");
        env.put("CHAT_MODEL_LIMITS_REQUESTS_PER_MINUTE", "600");
        env.put("CHAT_MODEL_LIMITS_BURST", "2s");
        env.put("CHAT_RATE_LIMIT_PER_MINUTE", "0");
        env.put("CHAT_WECHAT_TYPING", "false");
        List<ServiceProcess> both = ServiceProcess.startTwo("limits-a", "limits-b", env);
        a = both.get(0);
        b = both.get(1);
    }

    @AfterAll
    static void stop() throws Exception {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @BeforeEach
    void wechat() {
        stubs.resetAll();
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token"))
                .willReturn(okJson("{\"access_token\":\"IT_TOKEN\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
    }

    @Test
    @Order(1)
    void threeHundredQuestionsToTwoInstancesReachTheModelWithinTheSharedLimitAndAreAllAnsweredOnce() throws Exception {
        answerNamingTheQuestion();
        // each instance's connections to the model opened, then a quiet spell: the bucket is full again
        String warm = "owarm" + ThreadLocalRandom.current().nextInt(1_000_000);
        for (ServiceProcess service : List.of(a, b, a, b)) {
            deliver(service, text(warm, newMsgId(), "warming up"), signedQuery(TOKEN));
        }
        awaitTrue(Duration.ofSeconds(30), () -> sends().size() >= 4);
        Thread.sleep(3000);
        stubs.resetRequests();
        Map<String, String> questionOf = new HashMap<>(); // MsgId -> question
        List<String[]> messages = new ArrayList<>(); // openid, MsgId
        String run = Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000));
        for (int f = 0; f < 100; f++) {
            for (int k = 0; k < 3; k++) {
                String msgId = newMsgId();
                messages.add(new String[] {"olimit" + f + "x" + run, msgId});
                questionOf.put(msgId, "question " + msgId);
            }
        }
        long started = System.currentTimeMillis();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<String>> posts = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            String[] message = messages.get(i);
            ServiceProcess to = i % 2 == 0 ? a : b;
            posts.add(pool.submit(() -> deliver(to, text(message[0], message[1], questionOf.get(message[1])),
                    signedQuery(TOKEN))));
        }
        for (Future<String> post : posts) {
            assertThat(post.get()).isEqualTo("success");
        }
        pool.shutdown();
        long sent = System.currentTimeMillis();

        awaitTrue(Duration.ofSeconds(120), () -> sends().size() >= 300
                && harness.redis().keys("oac:{*}:inbox").isEmpty());
        Thread.sleep(1000); // a late duplicate would show by now: nothing is in flight

        Map<String, Integer> answers = new HashMap<>();
        for (LoggedRequest send : sends()) {
            var body = JSON.readTree(send.getBodyAsString());
            answers.merge(body.path("touser").asText() + " " + body.path("text").path("content").asText(), 1,
                    Integer::sum);
        }
        for (String[] message : messages) {
            assertThat(answers.get(message[0] + " answer to " + questionOf.get(message[1])))
                    .as("message %s answered once", message[1]).isEqualTo(1);
        }
        assertThat(sends()).hasSize(300);

        List<Long> calls = stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))).stream()
                .map(call -> call.getLoggedDate().getTime()).sorted().toList();
        assertThat(calls).as("one call a question").hasSize(300);
        int busiest = 0;
        for (int i = 0; i < calls.size(); i++) {
            int j = i;
            while (j < calls.size() && calls.get(j) < calls.get(i) + 10_000) {
                j++;
            }
            busiest = Math.max(busiest, j - i);
        }
        System.out.printf("300 questions sent to two instances in %d ms, answered %d ms after the first; model calls "
                + "in the busiest 10 s: %d (limit's share %d + burst %d + in transit %d)%n", sent - started,
                calls.get(calls.size() - 1) - started, busiest, WINDOW_SHARE, BURST, IN_TRANSIT);
        StringBuilder perSecond = new StringBuilder();
        for (long second = 0; second <= (calls.get(calls.size() - 1) - calls.get(0)) / 1000; second++) {
            long from = calls.get(0) + second * 1000;
            perSecond.append(calls.stream().filter(t -> t >= from && t < from + 1000).count()).append(' ');
        }
        System.out.println("model calls a second: " + perSecond);
        assertThat(busiest).as("calls in any 10 s window").isLessThanOrEqualTo(WINDOW_SHARE + BURST + IN_TRANSIT);
        assertThat(calls.get(calls.size() - 1) - calls.get(0)).as("300 calls at 10 a second, less the burst")
                .isGreaterThanOrEqualTo(25_000);
    }

    @Test
    @Order(2)
    void aRetryAfterToOneInstancePausesBoth() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("busy").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "5")
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"rate limited\"}}")).willSetStateTo("calm"));
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("busy").whenScenarioStateIs("calm")
                .willReturn(okJson("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"answer to "
                        + "{{jsonPath request.body '$.messages[-1].content'}}\"}}]}").withTransformers(
                        "response-template")));
        String run = Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000));
        String first = "opaused0x" + run;
        assertThat(deliver(a, text(first, newMsgId(), "who is first"), signedQuery(TOKEN))).isEqualTo("success");
        awaitTrue(Duration.ofSeconds(15), () -> !modelCalls().isEmpty());
        long refused = modelCalls().get(0).getLoggedDate().getTime();
        Thread.sleep(300); // the pause is known to both (Redis, and the other instance's notice)
        List<String> followers = new ArrayList<>(List.of(first));
        for (int f = 1; f <= 10; f++) {
            String openid = "opaused" + f + "x" + run;
            followers.add(openid);
            assertThat(deliver(f % 2 == 0 ? a : b, text(openid, newMsgId(), "during the pause " + f),
                    signedQuery(TOKEN))).isEqualTo("success");
        }

        awaitTrue(Duration.ofSeconds(60), () -> sends().size() >= 11
                && harness.redis().keys("oac:{*}:inbox").isEmpty());
        Thread.sleep(1000);
        List<LoggedRequest> calls = modelCalls();
        assertThat(calls).as("the refused call, then one a question").hasSize(12);
        for (LoggedRequest call : calls.subList(1, calls.size())) {
            assertThat(call.getLoggedDate().getTime() - refused).as("no call to the model during the 5 s pause")
                    .isGreaterThanOrEqualTo(4_900);
        }
        assertThat(sends()).hasSize(11);
        for (LoggedRequest send : sends()) {
            assertThat(JSON.readTree(send.getBodyAsString()).path("text").path("content").asText())
                    .startsWith("answer to ");
        }
    }

    private static void answerNamingTheQuestion() {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson("{\"choices\":[{\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"answer to {{jsonPath request.body '$.messages[-1].content'}}\"}}]}")
                .withTransformers("response-template").withFixedDelay(50)));
    }

    private static List<LoggedRequest> modelCalls() {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))).stream()
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
    }

    private static List<LoggedRequest> sends() {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND)));
    }
}
