package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;

/**
 * An Azure-OpenAI-style deployment (key in an api-key header), a trigger prefix and no typing indicator: settings
 * that need a context of their own.
 */
@TestPropertySource(properties = {
        "chat.openai.auth-header=api-key",
        "chat.openai.trigger-prefix=@bot",
        "chat.wechat.typing=false",
})
class ProviderSettingsTest extends RouteTestSupport {

    @Test
    void onlyPrefixedQuestionsReachTheModelWithoutThePrefixAndWithTheKeyInItsHeader() {
        String openid = newOpenid();
        stubModelAnswer("prefixed answer");

        assertThat(postCallback(textMessage(openid, newMsgId(), "chatting with friends")).getBody())
                .isEqualTo("success");
        assertThat(postCallback(textMessage(openid, newMsgId(), "@bot 天气如何？")).getBody()).isEqualTo("success");

        await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(modelCallsAsking("chatting with friends")).isEmpty();
        LoggedRequest ask = modelCallsAsking("天气如何？").get(0);
        assertThat(ask.getHeader("api-key")).isEqualTo(API_KEY);
        assertThat(ask.containsHeader("Authorization")).isFalse();
        assertThat(textsSentTo(openid)).containsExactly("prefixed answer");
        stubs.verify(0, postRequestedFor(urlPathEqualTo(TYPING)));
    }
}
