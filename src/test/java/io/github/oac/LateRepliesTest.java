package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import io.github.oac.store.RedisEndpoint;
import redis.clients.jedis.Jedis;

/**
 * An answer is never handed to a callback WeChat already gave up on. Passive delivery with one delivery per message,
 * so that a callback's deadline is its message's last chance; Redis stalls across the hand-out (shorter than
 * chat.redis.timeout, so that the hand-out succeeds, only too late).
 */
@TestPropertySource(properties = {
        "chat.delivery.mode=passive",
        "chat.delivery.passive-deliveries=1",
        "chat.redis.timeout=8s",
        "chat.openai.timeout=30000",
})
class LateRepliesTest extends RouteTestSupport {

    @Autowired
    RedisEndpoint redisEndpoint;
    @Value("${chat.replies.thinking}")
    String thinking;

    @Test
    void anOwedAnswerPickedUpAfterWechatStoppedWaitingIsOwedAgainNotLost() throws Exception {
        stubAnswer("slow", "late answer", 6000);
        stubAnswer("hello again", "second answer", 0);
        stubAnswer("and again", "third answer", 0);
        String openid = newOpenid();
        List<Delivery> first = deliverAsWechat(textMessage(openid, newMsgId(), "slow"), signedQuery(), 1);
        assertThat(passiveText(first.get(0).body())).as("its one delivery got the placeholder").isEqualTo(thinking);
        await(() -> redis.hasKey(keys.outbox(openid)), Boolean.TRUE::equals);

        // Redis stalls from just before the follower's next message until after WeChat's 5 s for it: its admission
        // picks the owed answer up only then
        CompletableFuture<Void> stall = CompletableFuture.runAsync(() -> stallRedis(6));
        Thread.sleep(300); // the stall has begun
        List<Delivery> second = deliverAsWechat(textMessage(openid, newMsgId(), "hello again"), signedQuery(), 1);
        stall.get();
        assertThat(second.get(0).cut()).as("WeChat waited its 5 s and gave up").isTrue();
        awaitQuiet(Duration.ofSeconds(20));

        ResponseEntity<String> third = postCallback(textMessage(openid, newMsgId(), "and again"));

        assertThat(passiveText(third.getBody())).as("the late answer, owed again, not lost on a closed connection")
                .startsWith("late answer");
        assertThat(modelCallsAsking("slow")).as("asked once").hasSize(1);
    }

    private void stallRedis(int seconds) {
        try (Jedis jedis = new Jedis(URI.create(redisEndpoint.url()), (seconds + 5) * 1000)) {
            jedis.sendCommand(() -> "DEBUG".getBytes(StandardCharsets.US_ASCII), "SLEEP", Integer.toString(seconds));
        }
    }
}
