package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.http.Fault;

/**
 * Only WeChat itself refuses for good. What failed before the request left is retried (or resumed by recovery) and
 * the follower still gets the answer; a send that timed out after leaving is never sent again.
 */
class WechatSendFailuresTest extends RouteTestSupport {

    private static final Duration QUIET = Duration.ofSeconds(20);

    @Test
    void aTokenFetchThatFailsOnTheWayIsRetriedAndTheFollowerIsAnswered() {
        String openid = newOpenid();
        String msgId = newMsgId();
        stubModelAnswer("after the token");
        // twice, so the send meets it whether or not the typing indicator fetched first
        stubs.stubFor(post(urlPathEqualTo(STABLE_TOKEN)).inScenario("token").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)).willSetStateTo("again"));
        stubs.stubFor(post(urlPathEqualTo(STABLE_TOKEN)).inScenario("token").whenScenarioStateIs("again")
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)).willSetStateTo("up"));
        stubs.stubFor(post(urlPathEqualTo(STABLE_TOKEN)).inScenario("token").whenScenarioStateIs("up")
                .willReturn(okJson("{\"access_token\":\"" + ACCESS_TOKEN + "\",\"expires_in\":7200}")));

        postCallback(textMessage(openid, msgId, "token trouble?"));

        awaitQuiet(QUIET);
        assertThat(textsSentTo(openid)).containsExactly("after the token");
        assertThat(redis.opsForHash().hasKey(keys.deadLetters(), msgId)).as("no dead letter").isFalse();
    }

    @Test
    void aSendThatTimedOutAfterLeavingIsNotRepeatedAndBecomesADeadLetter() throws Exception {
        String openid = newOpenid();
        String msgId = newMsgId();
        stubModelAnswer("maybe arrived");
        stubs.stubFor(sendTo(openid).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")
                .withFixedDelay(3500))); // chat.wechat.timeout is 3000 in these tests

        postCallback(textMessage(openid, msgId, "slow WeChat?"));

        awaitQuiet(QUIET);
        assertThat(sendsTo(openid)).as("sent once, never again").hasSize(1);
        Object letter = redis.opsForHash().get(keys.deadLetters(), msgId);
        assertThat(letter).isNotNull();
        assertThat(json.readTree(letter.toString()).path("reason").asText()).contains("may have arrived");
    }

    @Test
    void perMinuteQuotaAndEdgeErrorsAreRetriedAndDeliveredOnce() {
        String quota = newOpenid();
        String edge = newOpenid();
        stubModelAnswer("retried");
        failFirstSendTo(quota, okJson("{\"errcode\":45011,\"errmsg\":\"api minute-quota reach limit\"}"));
        failFirstSendTo(edge, aResponse().withStatus(429).withBody("slow down"));

        postCallback(textMessage(quota, newMsgId(), "quota?"));
        postCallback(textMessage(edge, newMsgId(), "edge?"));

        awaitQuiet(QUIET);
        assertThat(sendsTo(quota)).hasSize(2);
        assertThat(sendsTo(edge)).hasSize(2);
        assertThat(modelCallsAsking("quota?")).as("the answer is not asked for again").hasSize(1);
        assertThat(modelCallsAsking("edge?")).hasSize(1);
    }

    private static MappingBuilder sendTo(String openid) {
        return post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(openid)));
    }

    private static void failFirstSendTo(String openid,
                                        com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder failure) {
        stubs.stubFor(sendTo(openid).inScenario(openid).whenScenarioStateIs(STARTED).willReturn(failure)
                .willSetStateTo("ok"));
        stubs.stubFor(sendTo(openid).inScenario(openid).whenScenarioStateIs("ok")
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
    }
}
