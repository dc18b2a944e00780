package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;


import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Fallback providers through the real routes (chat.model.fallbacks: one, on another path of the fake server, with its
 * own key and model): the primary failing with 500s after its retries, the question goes to the fallback and its answer
 * goes out as any other, none apologised, the tokens counted for the provider and model that answered; while the
 * primary's breaker is open it is not called at all, and once it lets a trial call through and the primary is healthy,
 * the primary answers again; when the fallback fails too, the follower gets the apology, once.
 */
@TestPropertySource(properties = {
        "chat.breaker.window=2",
        "chat.breaker.minimum-calls=2",
        "chat.breaker.failure-rate=50",
        "chat.breaker.open-duration=2s",
        "chat.breaker.trial-calls=1",
        "chat.redelivery.openai.maximum-redeliveries=1",
        "chat.wechat.typing=false",
})
class ModelFallbacksTest extends RouteTestSupport {

    static final String FALLBACK_KEY = "sk-fallback-never-logged";
    static final String FALLBACK = "/fallback/v1/chat/completions";

    @DynamicPropertySource
    static void fallbackProvider(DynamicPropertyRegistry registry) {
        // a list comes whole from one source (Spring does not merge a list across them): all its settings here
        registry.add("chat.model.fallbacks[0].base-url", () -> stubs.baseUrl() + "/fallback/v1");
        registry.add("chat.model.fallbacks[0].api-key", () -> FALLBACK_KEY);
        registry.add("chat.model.fallbacks[0].model", () -> "backup-model");
    }

    @Autowired
    @Qualifier("modelBreaker")
    CircuitBreaker primaryBreaker;
    @Autowired
    MeterRegistry meters;
    @Value("${chat.replies.apology}")
    String apology;

    @Test
    void thePrimaryFailingTheFallbackAnswersAndNobodyIsApologisedTo() throws Exception {
        resetBreakers();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(status(500)));
        stubs.stubFor(post(urlPathEqualTo(FALLBACK)).willReturn(okJson("{\"choices\":[{\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"from the fallback\"}}],\"usage\":{\"prompt_tokens\":30,"
                + "\"completion_tokens\":7}}")));
        double tokensBefore = fallbackTokens();

        String openid = newOpenid();
        postCallback(textMessage(openid, newMsgId(), "anyone there?"));

        awaitSent(openid, 1);
        assertThat(textsSentTo(openid)).containsExactly("from the fallback");
        assertThat(callsAsking("anyone there?")).as("the primary and its retry, then the fallback")
                .extracting(request -> request.getUrl().split("\\?")[0])
                .containsExactly(COMPLETIONS, COMPLETIONS, FALLBACK);
        LoggedRequest asked = stubs.findAll(postRequestedFor(urlPathEqualTo(FALLBACK))).get(0);
        assertThat(bodyOf(asked).path("model").asText()).as("the fallback's own model").isEqualTo("backup-model");
        assertThat(asked.getHeader("Authorization")).as("the fallback's own key").isEqualTo("Bearer " + FALLBACK_KEY);
        assertThat(bodyOf(asked).path("messages").toString()).contains("anyone there?");
        assertThat(fallbackTokens() - tokensBefore).as("tokens counted for the provider and model that answered")
                .isEqualTo(37.0);
    }

    @Test
    void whileThePrimarysBreakerIsOpenTheFallbackAnswersAndThePrimaryAnswersAgainOnceHealthy() {
        resetBreakers();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(status(503)));
        stubs.stubFor(post(urlPathEqualTo(FALLBACK)).willReturn(okJson(completion("fallback answer"))));
        for (int i = 0; i < 2; i++) {
            String openid = newOpenid();
            postCallback(textMessage(openid, newMsgId(), "failing " + i));
            awaitSent(openid, 1);
            assertThat(textsSentTo(openid)).containsExactly("fallback answer");
        }
        assertThat(primaryBreaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

        String whileOpen = newOpenid();
        postCallback(textMessage(whileOpen, newMsgId(), "while it is open"));
        awaitSent(whileOpen, 1);
        assertThat(textsSentTo(whileOpen)).containsExactly("fallback answer");
        assertThat(callsAsking("while it is open")).as("the open breaker lets nothing through to the primary")
                .extracting(request -> request.getUrl().split("\\?")[0]).containsExactly(FALLBACK);

        stubModelAnswer("the primary again");
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> primaryBreaker.getState() != CircuitBreaker.State.OPEN);
        String later = newOpenid();
        postCallback(textMessage(later, newMsgId(), "back?"));
        awaitSent(later, 1);
        assertThat(textsSentTo(later)).containsExactly("the primary again");
        assertThat(primaryBreaker.getState()).as("its trial call closed it").isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void whenTheFallbackFailsTooTheFollowerGetsTheApologyOnce() {
        resetBreakers();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(status(500)));
        stubs.stubFor(post(urlPathEqualTo(FALLBACK)).willReturn(status(500)));

        String openid = newOpenid();
        postCallback(textMessage(openid, newMsgId(), "nobody home?"));

        awaitSent(openid, 1);
        awaitQuiet(Duration.ofSeconds(15));
        assertThat(textsSentTo(openid)).containsExactly(apology);
        assertThat(callsAsking("nobody home?")).extracting(request -> request.getUrl().split("\\?")[0])
                .containsExactly(COMPLETIONS, COMPLETIONS, FALLBACK, FALLBACK);
    }

    /** Requests to either provider whose last message is the follower's {@code content}, in order. */
    private List<LoggedRequest> callsAsking(String content) {
        return stubs.findAll(postRequestedFor(com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching(
                ".*/chat/completions"))).stream()
                .filter(request -> {
                    try {
                        var messages = bodyOf(request).path("messages");
                        return content.equals(messages.path(messages.size() - 1).path("content").asText());
                    } catch (Exception e) {
                        return false;
                    }
                })
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate))
                .toList();
    }

    /** Each test starts with both providers' breakers closed and empty. */
    private void resetBreakers() {
        primaryBreaker.reset();
        camel.getRegistry().lookupByNameAndType("modelBreaker-fallback-1", CircuitBreaker.class).reset();
    }

    private double fallbackTokens() {
        return meters.find("oac.model.tokens").tag("provider", "fallback-1").tag("model", "backup-model").counters()
                .stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    private void awaitSent(String openid, int count) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> sendsTo(openid).size() >= count);
    }

}
