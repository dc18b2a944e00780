package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import io.github.oac.store.RedisEndpoint;
import redis.clients.jedis.Jedis;

/**
 * Slow turns under stress, at the scale: a 3 s lease, models taking seconds, recovery every 200 ms, a small
 * queue with two consumers. Each question is still answered exactly once, in order, and recovery never crowds the
 * queue with followers who are already waiting in it. A turn that ended a message but could not keep its dead letter
 * (the account's keys unwritable past the lease) leaves the letter to the turn that resumes the message.
 */
@TestPropertySource(properties = {
        "chat.queue.lease-ttl=3s", "chat.queue.size=10", "chat.queue.consumers=2", "chat.recovery.interval=200",
        "chat.openai.timeout=10000", "chat.redelivery.openai.maximum-redeliveries=0", "chat.admin.token="})
class StalledTurnsTest extends RouteTestSupport {

    private static final Duration LONG = Duration.ofSeconds(45);

    @Autowired
    RedisEndpoint redisEndpoint;

    @Test
    void aRedisStallLongerThanTheLeaseStillAnswersEachQuestionOnceAndInOrder() throws Exception {
        String openid = newOpenid();
        String first = newMsgId();
        String second = newMsgId();
        stubSlowAnswer("first question", "answer one", 6000);
        stubSlowAnswer("second question", "answer two", 6000);

        postCallback(textMessage(openid, first, "first question"));
        postCallback(textMessage(openid, second, "second question"));
        await(() -> modelCallsAsking("first question"), calls -> calls.size() == 1);
        stallRedis(5); // longer than the 3 s lease, while the first model call is under way

        awaitQuiet(LONG);
        assertThat(textsSentTo(openid)).containsExactly("answer one", "answer two");
        assertThat(redis.opsForHash().hasKey(keys.deadLetters(), first)).isFalse();
        assertThat(redis.opsForHash().hasKey(keys.deadLetters(), second)).isFalse();
    }

    @Test
    void followersWaitingInTheQueueAreNotQueuedAgainByRecovery() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("slow")).withFixedDelay(5000)));
        List<String> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String openid = newOpenid();
            waiting.add(openid);
            assertThat(postCallback(textMessage(openid, newMsgId(), "waiting " + i)).getBody()).isEqualTo("success");
        }

        Thread.sleep(2500); // a dozen recovery scans while two are answered and three wait in the queue

        String late = newOpenid();
        assertThat(postCallback(textMessage(late, newMsgId(), "still room?")).getBody())
                .as("the queue (10) holds 3 waiting followers, not every scan's copies of them").isEqualTo("success");
        waiting.add(late);
        awaitQuiet(LONG);
        for (String openid : waiting) {
            assertThat(textsSentTo(openid)).as(openid).containsExactly("slow");
        }
    }

    @Test
    void aDeadLetterTheEndingTurnCouldNotKeepIsRecordedByTheTurnThatResumesTheMessage() throws Exception {
        String openid = newOpenid();
        String msgId = newMsgId();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[-1].content", equalTo("refused for good?")))
                .willReturn(okJson(completion("never delivered"))));
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(openid)))
                .willReturn(okJson("{\"errcode\":40003,\"errmsg\":\"invalid openid\"}")));
        // the account's dead letters cannot be written (on a Cluster: their primary is failing over)
        redis.opsForValue().set(keys.deadLetters(), "not a hash");
        try {
            postCallback(textMessage(openid, msgId, "refused for good?"));
            await(() -> sendsTo(openid), sends -> !sends.isEmpty());
            Thread.sleep(3500); // the ending turn tries to keep the letter while its 3 s lease would last, then stops
        } finally {
            redis.delete(keys.deadLetters());
        }

        awaitQuiet(LONG);
        Object letter = redis.opsForHash().get(keys.deadLetters(), msgId);
        assertThat(letter).as("recorded when the message was resumed").isNotNull();
        // (or, had recovery resumed it too often meanwhile, as a message tried too often)
        assertThat(json.readTree(letter.toString()).path("reason").asText())
                .containsAnyOf("its delivery had ended", "attempts");
        assertThat(sendsTo(openid)).as("the refused answer is not sent again").hasSize(1);
        assertThat(redis.hasKey(keys.inbox(openid))).as("the message left the inbox").isFalse();
    }

    private void stubSlowAnswer(String question, String answer, int millis) {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[-1].content", equalTo(question)))
                .willReturn(okJson(completion(answer)).withFixedDelay(millis)));
    }

    /** Blocks the Redis server itself for that many seconds (every client waits, leases run out meanwhile). */
    private void stallRedis(int seconds) {
        try (Jedis jedis = new Jedis(URI.create(redisEndpoint.url()), (seconds + 5) * 1000)) {
            jedis.sendCommand(() -> "DEBUG".getBytes(StandardCharsets.US_ASCII), "SLEEP", Integer.toString(seconds));
        }
    }
}
