package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * An account with a model provider of its own (another base URL and key), its own AI label and its own word list
 * ("mall", AccountsTestSupport), through the real routes, beside the default account (chat.openai.*, no label and no
 * list here): each account's questions reach its own provider with its own key, its answers carry its own label, its
 * list refuses only its followers' questions, and its provider's outage opens its own circuit breaker while the
 * default account's followers are answered as before.
 */
class AccountProvidersTest extends AccountsTestSupport {

    private static final Duration QUIET = Duration.ofSeconds(15);

    @Autowired
    CircuitBreaker modelBreaker;
    @Value("${chat.replies.blocked-question}")
    String blockedQuestion;
    @Value("${chat.replies.apology}")
    String apology;

    @BeforeEach
    void bothProvidersAnswer() {
        modelBreaker.reset();
        mallBreaker().reset();
        stubs.stubFor(post(urlPathEqualTo(MALL_COMPLETIONS)).willReturn(okJson(completion("mall answer"))));
        stubModelAnswer("home answer");
    }

    @Test
    void eachAccountsQuestionsGoToItsOwnProviderWithItsOwnKeyAndItsAnswersCarryItsOwnLabel() throws Exception {
        String customer = newOpenid();
        String home = newOpenid();

        postTo("mall", MALL_TOKEN, textMessage(customer, newMsgId(), "which provider?"));
        postCallback(textMessage(home, newMsgId(), "which provider?"));

        awaitQuiet(QUIET);
        assertThat(textsSentTo(customer)).containsExactly(MALL_LABEL + "\n\nmall answer");
        assertThat(textsSentTo(home)).containsExactly("home answer");
        List<LoggedRequest> mallCalls = stubs.findAll(postRequestedFor(urlPathEqualTo(MALL_COMPLETIONS)));
        assertThat(mallCalls).hasSize(1);
        assertThat(mallCalls.get(0).getHeader("Authorization")).isEqualTo("Bearer " + MALL_KEY);
        assertThat(bodyOf(mallCalls.get(0)).path("model").asText()).isEqualTo("mall-model");
        List<LoggedRequest> homeCalls = stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS)));
        assertThat(homeCalls).hasSize(1);
        assertThat(homeCalls.get(0).getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
        assertThat(bodyOf(homeCalls.get(0)).has("provider")).as("not sent").isFalse();
        assertThat(http.getForEntity(management("/actuator/prometheus"), String.class).getBody())
                .as("every meter of a follower's message names its account").contains(
                        "oac_callbacks_total{account=\"mall\",outcome=\"accepted\"}",
                        "oac_callbacks_total{account=\"default\",outcome=\"accepted\"}",
                        "oac_deliveries_total{account=\"mall\",path=\"push\"}",
                        "oac_answer_duration_seconds_count{account=\"mall\",path=\"push\"}",
                        "oac_wechat_sends_total{account=\"mall\",errcode=\"0\",path=\"push\"}",
                        "oac_model_calls_seconds_count{account=\"mall\",outcome=\"ok\",provider=\"mall\",status=\"200\"}",
                        "oac_model_tokens_total{account=\"mall\",kind=\"prompt\",model=\"mall-model\",provider=\"mall\"}",
                        "oac_followers_waiting{account=\"mall\"}");
    }

    @Test
    void anAccountsWordListRefusesItsOwnFollowersQuestionsOnly() {
        String customer = newOpenid();
        String home = newOpenid();

        postTo("mall", MALL_TOKEN, textMessage(customer, newMsgId(), "这里有商场 禁词吗"));
        postCallback(textMessage(home, newMsgId(), "这里有商场 禁词吗"));

        awaitQuiet(QUIET);
        assertThat(textsSentTo(customer)).containsExactly(blockedQuestion);
        assertThat(stubs.findAll(postRequestedFor(urlPathEqualTo(MALL_COMPLETIONS)))).isEmpty();
        assertThat(textsSentTo(home)).as("the default account lists no words").containsExactly("home answer");
    }

    @Test
    void anOutageOfOneAccountsProviderOpensItsBreakerOnlyAndTheOtherAccountIsStillAnswered() {
        stubs.stubFor(post(urlPathEqualTo(MALL_COMPLETIONS)).atPriority(1).willReturn(status(503)));
        for (int i = 0; i < 6; i++) {
            String customer = newOpenid();
            postTo("mall", MALL_TOKEN, textMessage(customer, newMsgId(), "outage " + i));
            await(() -> redis.hasKey(keys.forAccount("mall").inbox(customer)), Boolean.FALSE::equals);
            assertThat(textsSentTo(customer)).containsExactly(apology);
        }
        assertThat(mallBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
        int mallCalls = stubs.findAll(postRequestedFor(urlPathEqualTo(MALL_COMPLETIONS))).size();

        String home = newOpenid();
        postCallback(textMessage(home, newMsgId(), "still there?"));
        String customer = newOpenid();
        postTo("mall", MALL_TOKEN, textMessage(customer, newMsgId(), "and the mall?"));

        awaitQuiet(QUIET);
        assertThat(textsSentTo(home)).containsExactly("home answer");
        assertThat(modelBreaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(textsSentTo(customer)).as("the open breaker answers at once").containsExactly(apology);
        assertThat(stubs.findAll(postRequestedFor(urlPathEqualTo(MALL_COMPLETIONS)))).hasSize(mallCalls);
        assertThat(http.getForEntity(management("/actuator/prometheus"), String.class).getBody())
                .contains("oac_model_breaker_open{provider=\"mall\"} 1.0",
                        "oac_model_breaker_open{provider=\"default\"} 0.0", "routeId=\"ask-model-mall\"");
    }

    private CircuitBreaker mallBreaker() {
        return camel.getRegistry().lookupByNameAndType("modelBreaker-mall", CircuitBreaker.class);
    }

}
