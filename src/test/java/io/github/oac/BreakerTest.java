package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.test.context.TestPropertySource;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/** The model down for longer than the retry budget, then back: no follower left in silence, the breaker opens and closes. */
@TestPropertySource(properties = {
        "chat.breaker.window=4", "chat.breaker.minimum-calls=4", "chat.breaker.failure-rate=50",
        "chat.breaker.open-duration=2s", "chat.breaker.trial-calls=1",
        "chat.redelivery.openai.maximum-redeliveries=1", "chat.admin.token="})
class BreakerTest extends RouteTestSupport {

    @Autowired
    CircuitBreaker modelBreaker;

    @Value("${chat.replies.apology}")
    String apology;

    @Test
    void anOutageOpensTheBreakerFollowersGetTheApologyAndItClosesWhenTheModelIsBack() {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(status(503)));
        List<String> duringOutage = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String openid = newOpenid();
            duringOutage.add(openid);
            postCallback(textMessage(openid, newMsgId(), "outage " + i));
            awaitTurnsFinished(openid);
        }

        assertThat(modelBreaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        for (String openid : duringOutage) {
            assertThat(textsSentTo(openid)).containsExactly(apology);
        }
        int modelCalls = stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))).size();
        assertThat(modelCalls).as("the open breaker stopped the calls (8 questions x 2 attempts otherwise)")
                .isLessThan(16);

        stubModelAnswer("back online");
        await(() -> modelBreaker.getState(), state -> state != CircuitBreaker.State.OPEN); // after open-duration
        String after = newOpenid();
        postCallback(textMessage(after, newMsgId(), "are you back?"));
        await(() -> sendsTo(after), list -> !list.isEmpty());

        assertThat(textsSentTo(after)).containsExactly("back online");
        assertThat(modelBreaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
}
