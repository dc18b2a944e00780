package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.test.context.TestPropertySource;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/** chat.breaker.when-open=wait: while the breaker is open, questions wait for the provider instead of the apology. */
@TestPropertySource(properties = {
        "chat.breaker.window=2", "chat.breaker.minimum-calls=2", "chat.breaker.failure-rate=50",
        "chat.breaker.open-duration=2s", "chat.breaker.trial-calls=1", "chat.breaker.when-open=wait",
        "chat.redelivery.openai.maximum-redeliveries=0", "chat.admin.token="})
class BreakerWaitTest extends RouteTestSupport {

    @Autowired
    CircuitBreaker modelBreaker;

    @Value("${chat.replies.apology}")
    String apology;

    @Test
    void whileTheBreakerIsOpenQuestionsWaitAndAreAnsweredWhenTheModelIsBack() {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(status(503)));
        for (int i = 0; i < 2; i++) {
            String openid = newOpenid();
            postCallback(textMessage(openid, newMsgId(), "failing " + i));
            awaitTurnsFinished(openid);
        }
        assertThat(modelBreaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

        String patient = newOpenid();
        postCallback(textMessage(patient, newMsgId(), "will you answer later?"));
        stubModelAnswer("answered after the outage");

        await(() -> sendsTo(patient), list -> !list.isEmpty());
        assertThat(textsSentTo(patient)).containsExactly("answered after the outage");
        assertThat(textsSentTo(patient)).doesNotContain(apology);
    }
}
