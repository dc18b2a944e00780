package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

/**
 * Auto delivery, the default: hybrid until WeChat refuses a push with 48001 (no customer-service API), passive from
 * then on, remembered in Redis; the answer that could not be pushed waits for the follower's next message.
 */
@TestPropertySource(properties = {"chat.delivery.mode=auto", "chat.wechat.typing=false"})
class AutoDeliveryTest extends RouteTestSupport {

    @Value("${chat.replies.continue-hint}")
    String continueHint;

    @Test
    void aPushRefusedWith48001SwitchesToPassiveAndTheAnswerWaitsForTheNextMessage() {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":48001,\"errmsg\":\"api unauthorized\"}")));
        String paragraph = LongText.THOUSAND_CHANG.substring(0, 500); // 1500 bytes: too long for one reply
        String second = paragraph.replace('长', '短');
        stubModelAnswer(paragraph + "\n\n" + second);
        assertThat(redis.hasKey(keys.deliveryMode())).as("hybrid to begin with").isFalse();

        ResponseEntity<String> question = postCallback(textMessage(openid, newMsgId(), "a long question"));

        assertThat(question.getBody()).as("too long for one reply: to be pushed").isEqualTo("success");
        await(() -> redis.opsForValue().get(keys.deliveryMode()), "passive"::equals);
        awaitTurnsFinished(openid);
        assertThat(sendsTo(openid)).as("the refused push").hasSize(1);
        assertThat(redis.hasKey(keys.deadLetters())).as("not a dead letter").isFalse();

        // the follower's next message, of any kind, carries the answer; 继续 the rest, passively too
        String clickXml = eventMessage(openid, "CLICK", "NOTHING_CONFIGURED");
        String clickQuery = signedQuery();
        ResponseEntity<String> click = postCallback(clickXml, clickQuery);
        assertThat(passiveText(click.getBody())).isEqualTo(paragraph + "\n\n" + continueHint);
        // whoever saw the click's URL cannot read the answer with a body of their own making (an event's ids are
        // guessable), while WeChat re-sending that very click would get it again
        String guessed = clickXml.replace("<CreateTime>", "<CreateTime>1");
        assertThat(postCallback(guessed, clickQuery).getBody()).isEqualTo("success");
        assertThat(postCallback(clickXml, clickQuery).getBody()).as("locked after a replay").isEqualTo("success");
        ResponseEntity<String> more = postCallback(textMessage(openid, newMsgId(), "继续"));
        assertThat(passiveText(more.getBody())).isEqualTo(second);

        // and a new question is answered in its own reply now
        stubModelAnswer("short and passive");
        ResponseEntity<String> next = postCallback(textMessage(newOpenid(), newMsgId(), "after the switch"));
        assertThat(passiveText(next.getBody())).isEqualTo("short and passive");
        awaitQuiet(Duration.ofSeconds(10));
        assertThat(sendsTo(openid)).as("nothing pushed after the switch").hasSize(1);
    }
}
