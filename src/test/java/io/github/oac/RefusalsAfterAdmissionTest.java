package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

/**
 * A full queue and a trigger prefix refuse only new questions: admission decides first whether a message is new, so
 * WeChat re-delivering a question it already accepted, and an answer owed to the follower, are never turned away.
 * Passive delivery, one consumer and a queue of one, so that a single slow question saturates the answering side.
 */
@TestPropertySource(properties = {
        "chat.delivery.mode=passive",
        "chat.queue.size=1",
        "chat.queue.consumers=1",
        "chat.openai.trigger-prefix=@bot",
        "chat.openai.timeout=30000",
})
class RefusalsAfterAdmissionTest extends RouteTestSupport {

    @Value("${chat.replies.busy}")
    String busy;
    @Value("${chat.replies.thinking}")
    String thinking;

    @Test
    void wechatsRedeliveryOfAnAcceptedQuestionIsNotTurnedAwayWhenTheQueueIsFull() throws Exception {
        stubAnswer("first", "answer to first", 7000);
        stubAnswer("second", "answer to second", 100);
        String first = newOpenid();
        String second = newOpenid();
        // the only consumer is busy with the first question for 7 s; the second takes the queue's one place
        CompletableFuture<List<Delivery>> firstDeliveries = CompletableFuture.supplyAsync(() -> deliver(
                textMessage(first, newMsgId(), "@bot first")));
        await(() -> modelCallsAsking("first"), calls -> !calls.isEmpty());

        List<Delivery> deliveries = deliver(textMessage(second, newMsgId(), "@bot second"));

        assertThat(deliveries).as("WeChat's deliveries of the accepted second question").isNotEmpty()
                .noneMatch(delivery -> busy.equals(passiveText(delivery.body())));
        assertThat(deliveries.get(0).cut()).as("the first delivery was held, so WeChat sent it again").isTrue();
        assertThat(passiveText(deliveries.get(deliveries.size() - 1).body()))
                .as("a later delivery carries its answer").isEqualTo("answer to second");
        assertThat(firstDeliveries.get().stream().map(delivery -> passiveText(delivery.body())))
                .contains("answer to first");
        awaitQuiet(Duration.ofSeconds(20));
        assertThat(modelCallsAsking("second")).as("asked once").hasSize(1);
    }

    @Test
    void anAnswerOwedToTheFollowerGoesToTheirNextTextEvenWithoutTheTriggerPrefix() throws Exception {
        stubAnswer("slow", "owed answer", 16_000);
        String openid = newOpenid();
        List<Delivery> deliveries = deliver(textMessage(openid, newMsgId(), "@bot slow"));
        assertThat(passiveText(deliveries.get(deliveries.size() - 1).body())).isEqualTo(thinking);
        await(() -> redis.hasKey(keys.outbox(openid)), Boolean.TRUE::equals);

        ResponseEntity<String> next = postCallback(textMessage(openid, newMsgId(), "hello there"));

        assertThat(passiveText(next.getBody())).as("the owed answer, though the text has no @bot")
                .isEqualTo("owed answer");
        assertThat(modelCallsAsking("hello there")).as("and the text itself is not for the model").isEmpty();
        assertThat(redis.hasKey(keys.outbox(openid))).as("nothing owed any more").isFalse();
    }

    private List<Delivery> deliver(String xml) {
        try {
            return deliverAsWechat(xml, signedQuery(), 3);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
