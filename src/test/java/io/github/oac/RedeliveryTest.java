package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;

/**
 * Retries: what can succeed later is retried within the configured budget (2 redeliveries in these tests), what
 * cannot is not, and a follower whose question could not be answered gets the apology instead of silence.
 */
class RedeliveryTest extends RouteTestSupport {

    @Value("${chat.replies.apology}")
    String apology;

    @Test
    void rateLimitedThenUnavailableModelIsRetriedHonouringRetryAfterAndAnsweredOnce() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("flaky").whenScenarioStateIs(STARTED)
                .willReturn(status(429).withHeader("Retry-After", "1")).willSetStateTo("busy"));
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("flaky").whenScenarioStateIs("busy")
                .willReturn(status(503)).willSetStateTo("up"));
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("flaky").whenScenarioStateIs("up")
                .willReturn(okJson(completion("Third time lucky."))));

        postCallback(textMessage(openid, newMsgId(), "flaky model?"));

        List<LoggedRequest> sends = await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(bodyOf(sends.get(0)).path("text").path("content").asText()).isEqualTo("Third time lucky.");
        List<LoggedRequest> asks = modelCallsAsking("flaky model?");
        assertThat(asks).hasSize(3);
        long waitedAfter429 = asks.get(1).getLoggedDate().getTime() - asks.get(0).getLoggedDate().getTime();
        assertThat(waitedAfter429).as("Retry-After: 1 honoured (configured delay is 20 ms)").isGreaterThanOrEqualTo(900);
        assertThat(sendsTo(openid)).hasSize(1);
    }

    @Test
    void modelFailingEveryTimeIsTriedThreeTimesThenTheFollowerGetsTheApology() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(status(500)));

        postCallback(textMessage(openid, newMsgId(), "always broken?"));

        awaitTurnsFinished(openid);
        assertThat(modelCallsAsking("always broken?")).hasSize(3);
        List<LoggedRequest> sends = sendsTo(openid);
        assertThat(sends).hasSize(1);
        assertThat(bodyOf(sends.get(0)).path("text").path("content").asText()).isEqualTo(apology);
    }

    @Test
    void modelClientErrorIsNotRetried() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(status(401)));

        postCallback(textMessage(openid, newMsgId(), "wrong key?"));

        List<LoggedRequest> sends = await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(bodyOf(sends.get(0)).path("text").path("content").asText()).isEqualTo(apology);
        assertThat(modelCallsAsking("wrong key?")).hasSize(1);
    }

    @Test
    void modelTimeoutIsRetried() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("slow").whenScenarioStateIs(STARTED)
                .willReturn(okJson(completion("too late")).withFixedDelay(4000)).willSetStateTo("fast"));
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).inScenario("slow").whenScenarioStateIs("fast")
                .willReturn(okJson(completion("in time"))));

        postCallback(textMessage(openid, newMsgId(), "slow model?"));

        List<LoggedRequest> sends = await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(bodyOf(sends.get(0)).path("text").path("content").asText()).isEqualTo("in time");
        assertThat(modelCallsAsking("slow model?")).hasSize(2);
    }

    @Test
    void rejectedAccessTokenIsFetchedAgainAndTheSendRetriedOnce() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("fresh token");
        redis.opsForValue().set("oac:token:" + APP_ID, "STALE_TOKEN");
        stubTokenEndpoint("FRESH_TOKEN");
        stubs.stubFor(post(urlPathEqualTo(SEND)).withQueryParam("access_token",
                        com.github.tomakehurst.wiremock.client.WireMock.equalTo("STALE_TOKEN"))
                .willReturn(okJson("{\"errcode\":40001,\"errmsg\":\"invalid credential\"}")));

        postCallback(textMessage(openid, newMsgId(), "token?"));

        await(() -> sendsTo(openid), list -> list.size() == 2);
        List<LoggedRequest> sends = sendsTo(openid);
        assertThat(sends).extracting(r -> r.queryParameter("access_token").firstValue())
                .containsExactly("STALE_TOKEN", "FRESH_TOKEN");
        stubs.verify(1, postRequestedFor(urlPathEqualTo(STABLE_TOKEN)));
        assertThat(redis.opsForValue().get("oac:token:" + APP_ID)).isEqualTo("FRESH_TOKEN");
        String sentinel = newOpenid();
        postCallback(textMessage(sentinel, newMsgId(), "sentinel"));
        awaitTurnsFinished(openid);
        assertThat(sendsTo(openid)).as("delivered exactly once").hasSize(2);
    }

    @Test
    void wechatBusyIsRetriedAndDeliveredOnce() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("after busy");
        stubs.stubFor(post(urlPathEqualTo(SEND)).inScenario("busy").whenScenarioStateIs(STARTED)
                .willReturn(okJson("{\"errcode\":-1,\"errmsg\":\"system error\"}")).willSetStateTo("ok"));
        stubs.stubFor(post(urlPathEqualTo(SEND)).inScenario("busy").whenScenarioStateIs("ok")
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));

        postCallback(textMessage(openid, newMsgId(), "busy?"));

        awaitTurnsFinished(openid);
        assertThat(sendsTo(openid)).hasSize(2);
    }

    @Test
    void wechatPermanentRefusalIsNotRetried() {
        String openid = newOpenid();
        stubModelAnswer("out of window");
        stubs.stubFor(post(urlPathEqualTo(SEND))
                .willReturn(okJson("{\"errcode\":45015,\"errmsg\":\"response out of time limit\"}")));

        postCallback(textMessage(openid, newMsgId(), "late?"));

        awaitTurnsFinished(openid);
        assertThat(sendsTo(openid)).hasSize(1);
    }

    @Test
    void wechatServerErrorIsRetriedWithinTheBudget() {
        String openid = newOpenid();
        stubModelAnswer("never arrives");
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(aResponse().withStatus(502).withBody("<html>")));

        postCallback(textMessage(openid, newMsgId(), "gateway?"));

        awaitTurnsFinished(openid);
        assertThat(sendsTo(openid)).hasSize(3);
    }
}
