package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.test.context.TestPropertySource;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.oac.chat.ModelProviders;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The model provider's limits through the real routes (chat.model.limits: one request a second, at most one at once;
 * 6000 tokens a minute, at most 100 at once): questions of several followers over the limit wait and reach the model
 * one a second, in the order they arrived, each answered once; the tokens a call took beyond what the provider says it
 * spent go back to the bucket (else each call, taking max_tokens, would empty it for ten seconds); a 429 with
 * Retry-After pauses the provider: no call until it is over, also for another follower's question, the failed call
 * not retried on its own and not counted by the breaker.
 */
@TestPropertySource(properties = {
        "chat.model.limits.requests-per-minute=60",
        "chat.model.limits.tokens-per-minute=6000",
        "chat.model.limits.burst=1s",
        "chat.rate-limit.per-minute=0",
        "chat.wechat.typing=false",
        // an account answering in hybrid delivery: its callbacks wait for their answer, within WeChat's window
        "chat.accounts.hybrid.token=" + ProviderLimitsTest.HYBRID_TOKEN,
        "chat.accounts.hybrid.app-id=wxhybrid000000001",
        "chat.accounts.hybrid.app-secret=hybrid-secret-never-logged",
        "chat.accounts.hybrid.delivery=hybrid",
        // its callbacks wait 1.5 s for their answer (4 s elsewhere): three questions ahead outlast that
        "chat.delivery.passive-wait=1500ms",
})
class ProviderLimitsTest extends RouteTestSupport {

    static final String HYBRID_TOKEN = "hybridtoken";

    /** What the stubbed provider says each call spent. */
    private static final String USAGE = ",\"usage\":{\"prompt_tokens\":15,\"completion_tokens\":5}}";

    @Autowired
    CircuitBreaker modelBreaker;
    @Autowired
    ModelProviders providers;
    @Autowired
    MeterRegistry meters;
    @Value("${chat.replies.apology}")
    String apology;

    @Test
    void questionsOverTheLimitWaitAndReachTheModelOneASecondInTheOrderTheyArrived() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(withUsage("in your turn"))));
        List<String> questions = new ArrayList<>();
        List<String> followers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String openid = newOpenid();
            String question = "limited question " + i + " " + openid;
            followers.add(openid);
            questions.add(question);
            assertThat(postCallback(textMessage(openid, newMsgId(), question)).getBody()).isEqualTo("success");
        }

        com.fasterxml.jackson.databind.JsonNode waiting = Awaitility.await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50)).until(() -> stats().path("providers").path(0),
                        provider -> provider.path("waiting").asLong() > 0);
        assertThat(waiting.path("name").asText()).as("the console shows who waits for which provider")
                .isEqualTo("default");

        awaitAnswered(followers, Duration.ofSeconds(30));
        List<LoggedRequest> calls = new ArrayList<>();
        for (String question : questions) {
            assertThat(modelCallsAsking(question)).as(question).hasSize(1);
            calls.add(modelCallsAsking(question).get(0));
        }
        for (String openid : followers) {
            assertThat(textsSentTo(openid)).as(openid).containsExactly("in your turn");
        }
        assertThat(calls).as("in the order they arrived")
                .isSortedAccordingTo(Comparator.comparing(LoggedRequest::getLoggedDate));
        for (int i = 1; i < calls.size(); i++) {
            long gap = calls.get(i).getLoggedDate().getTime() - calls.get(i - 1).getLoggedDate().getTime();
            assertThat(gap).as("one request a second: call %d after %d", i, i - 1).isGreaterThanOrEqualTo(900);
        }
        assertThat(meters.get("oac.model.limit.wait").tag("provider", "default").timer().count())
                .as("every call timed").isGreaterThanOrEqualTo(4);
        assertThat(meters.get("oac.model.limit.wait").tag("provider", "default").timer()
                .max(java.util.concurrent.TimeUnit.MILLISECONDS)).as("the last one waited").isGreaterThan(2000);
    }

    @Test
    void aHybridCallbackWhoseQuestionWaitsForTheLimitStillAnswersWithinWechatsWindowAndTheAnswerIsPushed() {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(withUsage("worth the wait"))));
        List<String> ahead = new ArrayList<>();
        for (int i = 0; i < 3; i++) { // three questions ahead: about two seconds of the limit's one a second
            String openid = newOpenid();
            ahead.add(openid);
            postCallback(textMessage(openid, newMsgId(), "ahead " + i));
        }
        String patient = newOpenid();
        long asked = System.nanoTime();
        org.springframework.http.ResponseEntity<String> reply = postTo("hybrid", HYBRID_TOKEN,
                textMessage(patient, newMsgId(), "my turn later"));
        long answeredIn = (System.nanoTime() - asked) / 1_000_000;

        assertThat(reply.getStatusCode().value()).isEqualTo(200);
        assertThat(answeredIn).as("WeChat waits 5 s for a callback").isLessThan(5000);
        assertThat(passiveText(reply.getBody())).as("not ready in time: pushed later, nothing said now").isNull();
        ahead.add(patient);
        awaitAnswered(ahead, Duration.ofSeconds(30));
        assertThat(textsSentTo(patient)).containsExactly("worth the wait");
    }

    @Test
    void whatACallDidNotSpendGoesBackToTheTokensBucket() {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(withUsage("cheap"))));
        String openid = newOpenid();
        postCallback(textMessage(openid, newMsgId(), "how many tokens?"));
        awaitAnswered(List.of(openid), Duration.ofSeconds(15));

        // the call took its estimate (max_tokens 1024 and the question), 924 more than the bucket's 100; it spent 20
        Object held = redis.opsForHash().get(keys.providerLimits(providers.idOf("default")), "t");
        assertThat(Double.parseDouble(held.toString())).as("100 - estimate + (estimate - 20)").isBetween(70.0, 100.0);
    }

    @Test
    void aRetryAfterPausesTheProviderForEveryQuestionAndIsNotRetriedOnItsOwnOrCountedAsAFailure() {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("busy").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "3")
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"slow down\"}}")).willSetStateTo("calm"));
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("busy").whenScenarioStateIs("calm")
                .willReturn(okJson(withUsage("after the pause"))));
        long failedBefore = modelBreaker.getMetrics().getNumberOfFailedCalls();

        String first = newOpenid();
        postCallback(textMessage(first, newMsgId(), "first, paused"));
        LoggedRequest refused = await(() -> stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))),
                list -> !list.isEmpty()).get(0);
        String second = newOpenid();
        postCallback(textMessage(second, newMsgId(), "second, during the pause"));

        awaitAnswered(List.of(first, second), Duration.ofSeconds(30));
        assertThat(textsSentTo(first)).containsExactly("after the pause");
        assertThat(textsSentTo(second)).containsExactly("after the pause");
        List<LoggedRequest> calls = stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS)));
        assertThat(calls).as("the refused call, then one for each question").hasSize(3);
        for (LoggedRequest call : calls.subList(1, 3)) {
            assertThat(call.getLoggedDate().getTime() - refused.getLoggedDate().getTime())
                    .as("no call during the 3 s pause").isGreaterThanOrEqualTo(2900);
        }
        assertThat(modelBreaker.getMetrics().getNumberOfFailedCalls()).as("a pause is no failure")
                .isEqualTo(failedBefore);
        assertThat(textsSentTo(first)).doesNotContain(apology);
    }

    private com.fasterxml.jackson.databind.JsonNode stats() throws Exception {
        org.springframework.http.HttpHeaders headers = new org.springframework.http.HttpHeaders();
        headers.setBearerAuth(ADMIN_TOKEN);
        return json.readTree(http.exchange("/admin/stats", org.springframework.http.HttpMethod.GET,
                new org.springframework.http.HttpEntity<>(headers), String.class).getBody());
    }

    private void awaitAnswered(List<String> followers, Duration atMost) {
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(50))
                .until(() -> followers.stream().allMatch(openid -> !sendsTo(openid).isEmpty()));
    }

    private static String withUsage(String answer) {
        String completion = completion(answer);
        return completion.substring(0, completion.length() - 1) + USAGE;
    }
}
