package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

/**
 * The AI label China's rules require, with its default setting, in hybrid delivery (a fast answer in the callback's
 * reply, a long one pushed): on every answer the model wrote, once per batch the follower receives, inside WeChat's
 * 2,048 bytes; never on the service's own texts.
 */
@TestPropertySource(properties = {
        "chat.delivery.mode=hybrid",
        "chat.replies.ai-label=（本回复由AI生成）",
})
class AiLabelTest extends RouteTestSupport {

    private static final String LABEL = "（本回复由AI生成）";

    @Value("${chat.replies.continue-hint}")
    String continueHint;
    @Value("${chat.replies.apology}")
    String apology;
    @Value("${chat.replies.welcome}")
    String welcome;

    @Test
    void anAnswerInTheCallbacksReplyEndsWithTheLabel() {
        stubAnswer("quick", "a quick answer", 0);
        String openid = newOpenid();

        ResponseEntity<String> reply = postCallback(textMessage(openid, newMsgId(), "quick"));

        assertThat(passiveText(reply.getBody())).isEqualTo("a quick answer\n\n" + LABEL);
        awaitQuiet(Duration.ofSeconds(10));
        assertThat(sendsTo(openid)).isEmpty();
    }

    @Test
    void aLongAnswerCarriesTheLabelOnTheLastPartOfEachBatchAndSoDoesTheRestBroughtByContinue() {
        String paragraph = "这是一段用来测试分割的文字，包含标点。".repeat(20); // 1,140 bytes
        stubAnswer("long", String.join("\n\n", Collections.nCopies(8, paragraph)) + "\n\nThe end.", 0);
        String openid = newOpenid();

        postCallback(textMessage(openid, newMsgId(), "long"));
        await(() -> textsSentTo(openid), texts -> texts.size() == 5);
        List<String> first = textsSentTo(openid);

        assertThat(first.get(4)).endsWith("\n\n" + LABEL + "\n\n" + continueHint);
        assertThat(first.subList(0, 4)).noneMatch(part -> part.contains(LABEL));
        assertThat(first).allMatch(part -> part.getBytes(StandardCharsets.UTF_8).length <= 2048);

        ResponseEntity<String> more = postCallback(textMessage(openid, newMsgId(), "继续"));
        awaitQuiet(Duration.ofSeconds(15));
        List<String> rest = new ArrayList<>();
        if (passiveText(more.getBody()) != null) {
            rest.add(passiveText(more.getBody()));
        }
        List<String> sent = textsSentTo(openid);
        rest.addAll(sent.subList(5, sent.size()));
        assertThat(rest).isNotEmpty();
        assertThat(rest.get(rest.size() - 1)).contains("The end.").endsWith("\n\n" + LABEL);
        assertThat(rest.subList(0, rest.size() - 1)).noneMatch(part -> part.contains(LABEL));
        assertThat(rest).allMatch(part -> part.getBytes(StandardCharsets.UTF_8).length <= 2048);
    }

    @Test
    void theServicesOwnTextsCarryNoLabel() {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(status(400))); // not retried: the apology
        String openid = newOpenid();

        ResponseEntity<String> welcomed = postCallback(eventMessage(openid, "subscribe", null));
        ResponseEntity<String> asked = postCallback(textMessage(openid, newMsgId(), "fails"));
        awaitQuiet(Duration.ofSeconds(15));

        assertThat(passiveText(welcomed.getBody())).isEqualTo(welcome).doesNotContain(LABEL);
        List<String> seen = new ArrayList<>(textsSentTo(openid));
        if (passiveText(asked.getBody()) != null) {
            seen.add(passiveText(asked.getBody()));
        }
        assertThat(seen).containsExactly(apology);
    }
}
