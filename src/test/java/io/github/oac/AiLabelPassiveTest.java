package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

/**
 * The AI label in passive delivery: an answer that came after WeChat's last delivery of its question is owed to the
 * follower's next message, and carries the label when it is picked up there; the placeholder carries none.
 */
@TestPropertySource(properties = {
        "chat.delivery.mode=passive",
        "chat.openai.timeout=30000",
        "chat.replies.ai-label=（本回复由AI生成）",
})
class AiLabelPassiveTest extends RouteTestSupport {

    @Value("${chat.replies.thinking}")
    String thinking;

    @Test
    void anAnswerPickedUpByTheNextMessageCarriesTheLabel() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[-1].content", equalTo("slow")))
                .willReturn(okJson(completion("owed answer")).withFixedDelay(16_000)));
        String openid = newOpenid();
        List<Delivery> deliveries = deliverAsWechat(textMessage(openid, newMsgId(), "slow"), signedQuery(), 3);
        assertThat(passiveText(deliveries.get(deliveries.size() - 1).body())).as("no label on the placeholder")
                .isEqualTo(thinking);
        await(() -> redis.hasKey(keys.outbox(openid)), Boolean.TRUE::equals);

        ResponseEntity<String> next = postCallback(eventMessage(openid, "CLICK", "NOTHING"));

        assertThat(passiveText(next.getBody())).isEqualTo("owed answer\n\n（本回复由AI生成）");
    }
}
