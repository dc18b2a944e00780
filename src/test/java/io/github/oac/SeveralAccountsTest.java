package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.notMatching;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.oac.store.Keys;

/**
 * Two Official Accounts in one deployment, through the real routes: the default one at /wechat (the chat.wechat.*
 * settings) and "shop" at /wechat/shop, with a token, AppID, AppSecret, system prompt and model of its own. The fake
 * WeChat issues each AppID its own access token and refuses a send under the other's.
 */
class SeveralAccountsTest extends AccountsTestSupport {

    private static final String SHOP_ACCESS_TOKEN = "ACCESS_TOKEN_SHOP";
    private static final Duration QUIET = Duration.ofSeconds(15);

    private final Keys shopKeys = new Keys("oac:").forAccount("shop");
    @org.springframework.beans.factory.annotation.Value("${chat.replies.rate-limited}")
    String rateLimited;

    @BeforeEach
    void twoAppIdsTwoTokens() {
        stubs.stubFor(post(urlPathEqualTo(STABLE_TOKEN)).withRequestBody(matchingJsonPath("$.appid",
                        equalTo(SHOP_APP_ID)))
                .willReturn(okJson("{\"access_token\":\"" + SHOP_ACCESS_TOKEN + "\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo(STABLE_TOKEN)).withRequestBody(matchingJsonPath("$.appid",
                        equalTo(APP_ID)))
                .willReturn(okJson("{\"access_token\":\"" + ACCESS_TOKEN + "\",\"expires_in\":7200}")));
        // a send under a token WeChat did not issue for the follower's account: 40001, as WeChat answers it
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", notMatching("oshop.*")))
                .withQueryParam("access_token", equalTo(SHOP_ACCESS_TOKEN))
                .willReturn(okJson("{\"errcode\":40001,\"errmsg\":\"invalid credential\"}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", matching("oshop.*")))
                .withQueryParam("access_token", equalTo(ACCESS_TOKEN))
                .willReturn(okJson("{\"errcode\":40001,\"errmsg\":\"invalid credential\"}")));
    }

    private static com.github.tomakehurst.wiremock.matching.StringValuePattern matching(String regex) {
        return com.github.tomakehurst.wiremock.client.WireMock.matching(regex);
    }

    @Test
    void eachAccountAnswersItsFollowersUnderItsOwnTokenPromptAndModel() throws Exception {
        String home = newOpenid();
        String customer = "oshop" + newOpenid();
        stubAnswer("hello home", "home answer", 0);
        stubAnswer("hello shop", "shop answer", 0);

        assertThat(postTo("shop", SHOP_TOKEN, textMessage(customer, newMsgId(), "hello shop")).getBody())
                .isEqualTo("success");
        postCallback(textMessage(home, newMsgId(), "hello home"));

        awaitQuiet(QUIET);
        assertThat(textsSentTo(customer)).containsExactly("shop answer");
        assertThat(textsSentTo(home)).containsExactly("home answer");
        assertThat(sendsTo(customer)).allMatch(send -> send.queryParameter("access_token").firstValue()
                .equals(SHOP_ACCESS_TOKEN));
        assertThat(sendsTo(home)).allMatch(send -> send.queryParameter("access_token").firstValue()
                .equals(ACCESS_TOKEN));
        JsonNode shopRequest = bodyOf(modelCallsAsking("hello shop").get(0));
        assertThat(shopRequest.path("model").asText()).isEqualTo("shop-model");
        assertThat(shopRequest.path("messages").get(0).path("content").asText()).isEqualTo(SHOP_PROMPT);
        JsonNode homeRequest = bodyOf(modelCallsAsking("hello home").get(0));
        assertThat(homeRequest.path("model").asText()).isEqualTo("test-model");
        assertThat(homeRequest.path("messages").get(0).path("content").asText()).isEqualTo(SYSTEM_PROMPT);
    }

    @Test
    void aCallbackSignedWithAnotherAccountsTokenIsForbiddenAndAnUnknownAccountIsNotFound() {
        String openid = newOpenid();
        String xml = textMessage(openid, newMsgId(), "which account?");

        assertThat(postTo("shop", TOKEN, xml).getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(postCallback(xml, signedQuery(SHOP_TOKEN)).getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
        for (String unknown : List.of("nope", "default", "Shop", "shop/more", "")) {
            ResponseEntity<String> refused = postTo(unknown, SHOP_TOKEN, xml);
            assertThat(refused.getStatusCode()).as(unknown).isEqualTo(HttpStatus.NOT_FOUND);
            assertThat(refused.getBody()).as("names no account").doesNotContain("shop");
        }
        // the account comes from the path alone: neither a query parameter nor a header of the gate's can name it
        assertThat(postCallback(xml, signedQuery(TOKEN) + "&oac-account=shop").getStatusCode())
                .isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(postCallback(xml, signedQuery(TOKEN) + "&OAC-Arrived-At=0").getStatusCode())
                .isEqualTo(HttpStatus.BAD_REQUEST);
        HttpHeaders spoofed = new HttpHeaders();
        spoofed.setContentType(MediaType.TEXT_XML);
        spoofed.set("oac-account", "shop");
        String asDefault = newOpenid();
        stubModelAnswer("default answer");
        assertThat(http.postForEntity("/wechat?" + signedQuery(TOKEN), new HttpEntity<>(textMessage(asDefault,
                newMsgId(), "whose?"), spoofed), String.class).getBody()).isEqualTo("success");
        awaitQuiet(QUIET);
        assertThat(redis.hasKey(keys.memory(asDefault))).as("answered in the default account").isTrue();
        assertThat(redis.hasKey(shopKeys.memory(asDefault))).isFalse();
        String echostr = "shop-echo-" + newNonce();
        ResponseEntity<String> verified = http.getForEntity("/wechat/shop?" + signedQuery(SHOP_TOKEN) + "&echostr="
                + echostr, String.class);
        assertThat(verified.getBody()).isEqualTo(echostr);
        assertThat(redis.hasKey(keys.inbox(openid))).isFalse();
        assertThat(redis.hasKey(shopKeys.inbox(openid))).isFalse();
    }

    @Test
    void theSameOpenidAndMsgIdInTwoAccountsAreTwoFollowersWithTwoConversations() throws Exception {
        String openid = "oshop" + newOpenid(); // the shop's token: the fake WeChat takes only the shop's for it
        String msgId = newMsgId();
        stubAnswer("first", "first answer", 0);
        stubAnswer("second", "second answer", 0);
        // the default account's send to this openid comes under its own token: let it through
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(openid)))
                .withQueryParam("access_token", equalTo(ACCESS_TOKEN)).atPriority(1)
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));

        postTo("shop", SHOP_TOKEN, textMessage(openid, msgId, "first"));
        postCallback(textMessage(openid, msgId, "first"));
        awaitQuiet(QUIET);
        postTo("shop", SHOP_TOKEN, textMessage(openid, newMsgId(), "second"));
        awaitQuiet(QUIET);

        assertThat(modelCallsAsking("first")).as("one message in each account, not a duplicate").hasSize(2);
        List<LoggedRequest> second = modelCallsAsking("second");
        assertThat(second).hasSize(1);
        JsonNode messages = bodyOf(second.get(0)).path("messages");
        assertThat(messages).as("the shop's conversation only: its system prompt, one exchange, the question")
                .hasSize(4);
        assertThat(redis.hasKey(keys.memory(openid))).isTrue();
        assertThat(redis.hasKey(shopKeys.memory(openid))).isTrue();
        assertThat(redis.opsForValue().get(keys.memory(openid))).doesNotContain("second");
    }

    @Test
    void anAccountWithoutTheCustomerServiceApiTurnsPassiveWhileTheOthersStillPush() throws Exception {
        String resident = newOpenid();
        String home = newOpenid();
        String longAnswer = "长".repeat(1000); // more than one passive reply holds: hybrid pushes it
        stubAnswer("city question", longAnswer, 0);
        stubAnswer("home question", "home answer", 0);
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(resident)))
                .atPriority(1).willReturn(okJson("{\"errcode\":48001,\"errmsg\":\"api unauthorized\"}")));

        postTo("city", "citytoken", textMessage(resident, newMsgId(), "city question"));
        awaitQuiet(QUIET);
        postCallback(textMessage(home, newMsgId(), "home question"));
        awaitQuiet(QUIET);

        Keys city = new Keys("oac:").forAccount("city");
        assertThat(redis.opsForValue().get(city.deliveryMode())).isEqualTo("passive");
        assertThat(redis.hasKey(keys.deliveryMode())).as("the default account still pushes").isFalse();
        assertThat(textsSentTo(home)).containsExactly("home answer");
        ResponseEntity<String> next = postTo("city", "citytoken", eventMessage(resident, "CLICK", "NOTHING"));
        assertThat(passiveText(next.getBody())).as("the answer WeChat would not take by push, in the next reply")
                .startsWith("长长长");
    }

    @Test
    void anAccountWelcomesAndLimitsItsFollowersItsOwnWay() throws Exception {
        String customer = "oshop" + newOpenid();
        String home = newOpenid();
        stubModelAnswer("answered");

        assertThat(passiveText(postTo("shop", SHOP_TOKEN, eventMessage(customer, "subscribe", null)).getBody()))
                .isEqualTo("欢迎光临小店");
        assertThat(passiveText(postCallback(eventMessage(home, "subscribe", null)).getBody()))
                .as("the default account's welcome").isNotEqualTo("欢迎光临小店").isNotBlank();

        String resident = newOpenid();
        postTo("city", "citytoken", textMessage(resident, newMsgId(), "one"));
        ResponseEntity<String> second = postTo("city", "citytoken", textMessage(resident, newMsgId(), "two"));
        assertThat(passiveText(second.getBody())).as("the city allows one question a minute")
                .isEqualTo(rateLimited);
        for (int i = 0; i < 3; i++) {
            assertThat(postCallback(textMessage(home, newMsgId(), "home " + i)).getBody())
                    .as("the default account has no limit here").isEqualTo("success");
        }
        awaitQuiet(QUIET);
        assertThat(textsSentTo(home)).hasSize(3);
    }

    @Test
    void anAnswerWechatRefusesForGoodIsADeadLetterOfTheFollowersAccountAndIsReplayedThere() throws Exception {
        String customer = "oshop" + newOpenid();
        String msgId = newMsgId();
        stubAnswer("refused?", "never delivered", 0);
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(customer)))
                .atPriority(1).willReturn(okJson("{\"errcode\":40003,\"errmsg\":\"invalid openid\"}")));

        postTo("shop", SHOP_TOKEN, textMessage(customer, msgId, "refused?"));

        awaitQuiet(QUIET);
        Object letter = redis.opsForHash().get(shopKeys.deadLetters(), msgId);
        assertThat(letter).isNotNull();
        assertThat(json.readTree(letter.toString()).path("account").asText()).isEqualTo("shop");
        assertThat(redis.opsForHash().hasKey(keys.deadLetters(), msgId)).as("not the default account's").isFalse();
        assertThat(admin(HttpMethod.GET, "/admin/dead-letters?account=shop").getBody()).contains(msgId);
        assertThat(admin(HttpMethod.GET, "/admin/dead-letters").getBody()).doesNotContain(msgId);
        ResponseEntity<String> unknown = admin(HttpMethod.GET, "/admin/dead-letters?account=nope%22x");
        assertThat(unknown.getStatusCode()).as(String.valueOf(unknown.getBody())).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(unknown.getBody()).isEqualTo("{\"error\":\"no such account\"}");
        assertThat(admin(HttpMethod.POST, "/admin/dead-letters/" + msgId + "/replay").getStatusCode())
                .as("no such letter in the default account").isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(admin(HttpMethod.POST, "/admin/dead-letters/replay?account=nope").getBody())
                .isEqualTo("{\"error\":\"no such account\"}");
        ResponseEntity<String> stats = admin(HttpMethod.GET, "/admin/stats?account=nope%3Cx");
        assertThat(stats.getStatusCode()).as("the console's figures of an unknown account")
                .isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(stats.getBody()).isEqualTo("{\"error\":\"no such account\"}");
        assertThat(json.readTree(admin(HttpMethod.GET, "/admin/stats?account=shop").getBody()).path("account")
                .asText()).isEqualTo("shop");

        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(customer)))
                .atPriority(1).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        assertThat(admin(HttpMethod.POST, "/admin/dead-letters/" + msgId + "/replay?account=shop").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        awaitQuiet(QUIET);
        assertThat(textsSentTo(customer)).as("answered in the shop, under the shop's token")
                .containsExactly("never delivered", "never delivered");
        assertThat(sendsTo(customer)).allMatch(send -> send.queryParameter("access_token").firstValue()
                .equals(SHOP_ACCESS_TOKEN));
        assertThat(redis.opsForHash().hasKey(shopKeys.deadLetters(), msgId)).isFalse();
    }

    private ResponseEntity<String> admin(HttpMethod method, String path) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(ADMIN_TOKEN);
        return http.exchange(path, method, new HttpEntity<>(headers), String.class);
    }
}
