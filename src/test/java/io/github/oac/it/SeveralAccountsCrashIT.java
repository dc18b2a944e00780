package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static io.github.oac.it.WechatSide.awaitTrue;
import static io.github.oac.it.WechatSide.deliver;
import static io.github.oac.it.WechatSide.newMsgId;
import static io.github.oac.it.WechatSide.serviceEnv;
import static io.github.oac.it.WechatSide.signedQuery;
import static io.github.oac.it.WechatSide.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import redis.clients.jedis.Jedis;

/**
 * Two Official Accounts in one service process, killed with both accounts' questions in flight (asked, not
 * answered): the next process answers each question once, in its own account, under its own AppID's access token,
 * with its own account's model. The fake WeChat issues each AppID its own token and refuses a send under the other's.
 */
class SeveralAccountsCrashIT {

    private static final String TOKEN = "ittoken";
    private static final String SHOP_TOKEN = "itshoptoken";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final String COMPLETIONS = "/v1/chat/completions";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ProcessHarness harness = new ProcessHarness();
    private static final WireMockServer stubs = harness.stubs();
    private static Jedis redis;

    @BeforeAll
    static void lookIntoRedis() {
        redis = harness.redis();
    }

    @Test
    void questionsOfBothAccountsInFlightWhenTheProcessDiesAreAnsweredOnceEachInTheirOwnAccount() throws Exception {
        String run = Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000));
        List<String> home = List.of("ohome1-" + run, "ohome2-" + run);
        List<String> shop = List.of("oshop1-" + run, "oshop2-" + run);
        String both = "oboth-" + run; // the same OpenID in both accounts: two followers
        twoAppIdsTwoTokens();
        stubModel("wxit-model", "home answer", 120_000);
        stubModel("shop-model", "shop answer", 120_000);

        try (ServiceProcess first = ServiceProcess.start("accounts-crash-first", env())) {
            for (String openid : home) {
                assertThat(deliver(first, text(openid, newMsgId(), "home question"), signedQuery(TOKEN)))
                        .isEqualTo("success");
            }
            for (String openid : shop) {
                assertThat(deliver(first, "/wechat/shop", text(openid, newMsgId(), "shop question"),
                        signedQuery(SHOP_TOKEN))).isEqualTo("success");
            }
            String msgId = newMsgId(); // and the same MsgId: two messages
            deliver(first, text(both, msgId, "home question"), signedQuery(TOKEN));
            deliver(first, "/wechat/shop", text(both, msgId, "shop question"), signedQuery(SHOP_TOKEN));
            awaitTrue(Duration.ofSeconds(30), () -> modelCalls("wxit-model").size() == 3
                    && modelCalls("shop-model").size() == 3);
            first.kill(); // every turn asked, none answered: the leases are held by a dead process
        }
        stubModel("wxit-model", "home answer", 0); // the newest of equal priority wins
        stubModel("shop-model", "shop answer", 0);

        try (ServiceProcess second = ServiceProcess.start("accounts-crash-second", env())) {
            awaitTrue(Duration.ofSeconds(60), () -> sends().size() >= 6
                    && redis.keys("oac:{*}:inbox").isEmpty() && redis.keys("oac:{*}:progress:*").isEmpty());
            Thread.sleep(1000); // a late duplicate would show by now: nothing is in flight
            for (String openid : home) {
                assertThat(textsTo(openid, "IT_TOKEN_HOME")).as(openid).containsExactly("home answer");
            }
            for (String openid : shop) {
                assertThat(textsTo(openid, "IT_TOKEN_SHOP")).as(openid).containsExactly("shop answer");
            }
            assertThat(textsTo(both, "IT_TOKEN_HOME")).containsExactly("home answer");
            assertThat(textsTo(both, "IT_TOKEN_SHOP")).containsExactly("shop answer");
            assertThat(sends()).as("every send under its own account's token, once").hasSize(6)
                    .allMatch(send -> send.queryParameter("access_token").firstValue().startsWith("IT_TOKEN_"));
        }
    }

    private static Map<String, String> env() {
        Map<String, String> env = serviceEnv(TOKEN, stubs.baseUrl(), harness.redisPort(), "push");
        env.put("OPENAI_MODEL", "wxit-model");
        env.put("CHAT_OPENAI_TIMEOUT", "180000");
        env.put("CHAT_WECHAT_TYPING", "false");
        env.put("CHAT_ACCOUNTS_SHOP_TOKEN", SHOP_TOKEN);
        env.put("CHAT_ACCOUNTS_SHOP_APP_ID", "wxitshop");
        env.put("CHAT_ACCOUNTS_SHOP_APP_SECRET", "it-shop-secret");
        env.put("CHAT_ACCOUNTS_SHOP_MODEL", "shop-model");
        return env;
    }

    private static void twoAppIdsTwoTokens() {
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token")).withRequestBody(matchingJsonPath("$.appid",
                equalTo("wxit"))).willReturn(okJson("{\"access_token\":\"IT_TOKEN_HOME\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token")).withRequestBody(matchingJsonPath("$.appid",
                equalTo("wxitshop"))).willReturn(okJson("{\"access_token\":\"IT_TOKEN_SHOP\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
    }

    private static void stubModel(String model, String answer, int delayMillis) throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).withRequestBody(matchingJsonPath("$.model", equalTo(model)))
                .willReturn(okJson(JSON.writeValueAsString(Map.of("choices", List.of(Map.of("message",
                        Map.of("role", "assistant", "content", answer)))))).withFixedDelay(delayMillis)));
    }

    private static List<LoggedRequest> modelCalls(String model) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.model", equalTo(model))));
    }

    private static List<LoggedRequest> sends() {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND)));
    }

    /** What the follower was sent under this access token, in order. */
    private static List<String> textsTo(String openid, String accessToken) throws Exception {
        List<String> texts = new ArrayList<>();
        for (LoggedRequest send : sends().stream()
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate)).toList()) {
            var body = JSON.readTree(send.getBodyAsString());
            if (openid.equals(body.path("touser").asText())
                    && accessToken.equals(send.queryParameter("access_token").firstValue())) {
                texts.add(body.path("text").path("content").asText());
            }
        }
        return texts;
    }
}
