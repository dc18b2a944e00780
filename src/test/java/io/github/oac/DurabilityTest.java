package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.databind.JsonNode;

import io.github.oac.store.EmbeddedRedis;
import io.github.oac.store.RedisEndpoint;

/** Accepted messages end answered once, or as a dead letter an operator can replay; nothing silently lost. */
class DurabilityTest extends RouteTestSupport {

    @Autowired
    RedisEndpoint redisEndpoint;

    @Test
    void aRedisStallRightAfterWechatAcceptedAnAnswerDoesNotSendItAgain() throws Exception {
        TestTopology.assumeSingleServer();
        String openid = newOpenid();
        stubModelAnswer("accepted once");
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")
                .withFixedDelay(1500)));

        postCallback(textMessage(openid, newMsgId(), "stall after the send"));
        await(() -> modelCallsAsking("stall after the send"), calls -> calls.size() == 1);
        Thread.sleep(300); // the answer is committed and its send is on its way to WeChat
        // WeChat accepts the part while Redis does not answer for longer than chat.redis.timeout (2 s): the turn
        // must still record it, not leave it to be resumed (and sent again) once its lease lapses
        try (redis.clients.jedis.Jedis jedis = new redis.clients.jedis.Jedis(java.net.URI.create(redisEndpoint.url()),
                10_000)) {
            jedis.sendCommand(() -> "DEBUG".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "SLEEP", "4");
        }

        awaitQuiet(java.time.Duration.ofSeconds(45));
        assertThat(textsSentTo(openid)).containsExactly("accepted once");
    }

    @Test
    void aTurnResumedAfterACrashSendsOnlyThePartsWeChatHasNotAccepted() throws Exception {
        // what a crashed instance leaves: the message in the inbox, its answer decided, 2 of 3 parts accepted,
        // and a lease nobody renews any more
        String openid = newOpenid();
        String msgId = newMsgId();
        String message = "{\"ToUserName\":\"gh_test\",\"FromUserName\":\"" + openid + "\",\"CreateTime\":\""
                + now() + "\",\"MsgType\":\"text\",\"MsgId\":\"" + msgId + "\",\"Content\":\"crashed question\"}";
        String part = "这是一个被分成三部分的回答。".repeat(40); // 1680 bytes: one part each
        redis.opsForList().rightPush(keys.inbox(openid), message);
        redis.opsForSet().add(keys.waiting(openid), openid);
        redis.opsForHash().put(keys.progress(openid, msgId), "answer", part + "\n\n" + part + "\n\n第三部分。" + part);
        redis.opsForHash().put(keys.progress(openid, msgId), "sent", "2");
        redis.opsForHash().put(keys.progress(openid, msgId), "attempts", "1");

        await(() -> sendsTo(openid), list -> !list.isEmpty());
        await(() -> redis.hasKey(keys.inbox(openid)), Boolean.FALSE::equals);

        assertThat(textsSentTo(openid)).containsExactly("第三部分。" + part);
        assertThat(modelCallsAsking("crashed question")).as("the decided answer is reused").isEmpty();
        assertThat(redis.hasKey(keys.progress(openid, msgId))).isFalse();
    }

    @Test
    void aRefusedAnswerBecomesADeadLetterThatAnOperatorCanReplay() throws Exception {
        String openid = newOpenid();
        String msgId = newMsgId();
        stubModelAnswer("eventually delivered");
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(openid)))
                .willReturn(okJson("{\"errcode\":43004,\"errmsg\":\"require subscribe\"}")));

        postCallback(textMessage(openid, msgId, "dead then alive"));
        JsonNode letter = await(() -> deadLetter(msgId), java.util.Objects::nonNull);
        assertThat(letter.path("openid").asText()).isEqualTo(openid);
        assertThat(letter.path("reason").asText()).contains("43004");
        assertThat(letter.path("unsent").asText()).isEqualTo("eventually delivered");

        assertThat(admin(HttpMethod.GET, "/admin/dead-letters", "wrong").getStatusCode().value()).isEqualTo(403);
        assertThat(admin(HttpMethod.GET, "/admin/dead-letters", null).getStatusCode().value()).isEqualTo(403);

        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(openid)))
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        ResponseEntity<String> replay = admin(HttpMethod.POST, "/admin/dead-letters/" + msgId + "/replay",
                ADMIN_TOKEN);
        assertThat(replay.getStatusCode().value()).isEqualTo(200);

        await(() -> sendsTo(openid), list -> list.size() == 2);
        assertThat(deadLetter(msgId)).isNull();
        assertThat(admin(HttpMethod.POST, "/admin/dead-letters/" + msgId + "/replay", ADMIN_TOKEN)
                .getStatusCode().value()).isEqualTo(404);
    }

    @Test
    void messagesPastWechatsWindowAreDeadLettersNotAnswers() throws Exception {
        String openid = newOpenid();
        String msgId = newMsgId();
        String old = Long.toString(System.currentTimeMillis() / 1000 - 49 * 3600);
        redis.opsForList().rightPush(keys.inbox(openid), "{\"FromUserName\":\"" + openid + "\",\"CreateTime\":\""
                + old + "\",\"MsgType\":\"text\",\"MsgId\":\"" + msgId + "\",\"Content\":\"too late\"}");
        redis.opsForSet().add(keys.waiting(openid), openid);

        JsonNode letter = await(() -> deadLetter(msgId), java.util.Objects::nonNull);

        assertThat(letter.path("reason").asText()).startsWith("older than 48 h");
        await(() -> redis.hasKey(keys.inbox(openid)), Boolean.FALSE::equals);
        stubs.verify(0, postRequestedFor(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser",
                equalTo(openid))));
    }

    @Test
    void withRedisDownCallbacksFailFastAndTheServiceRecoversByItself() throws Exception {
        TestTopology.assumeSingleServer();
        EmbeddedRedis server = redisEndpoint.embedded().orElseThrow();
        String openid = newOpenid();
        stubModelAnswer("back again");
        server.stop();
        try {
            long started = System.nanoTime();
            ResponseEntity<String> down = postCallback(textMessage(openid, newMsgId(), "during the outage"));
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat(down.getStatusCode().value()).isEqualTo(503);
            assertThat(down.getBody()).isEqualTo("service unavailable");
            assertThat(millis).as("well inside WeChat's 5 s").isLessThan(4000);
        } finally {
            server.restart();
        }
        await(() -> postCallback(textMessage(openid, newMsgId(), "after the outage")).getStatusCode().value(),
                status -> status == 200);
        await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(textsSentTo(openid)).containsExactly("back again");
    }

    private JsonNode deadLetter(String msgId) {
        Object stored = redis.opsForHash().get(keys.deadLetters(), msgId);
        try {
            return stored == null ? null : json.readTree(stored.toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private ResponseEntity<String> admin(HttpMethod method, String path, String token) {
        HttpHeaders headers = new HttpHeaders();
        if (token != null) {
            headers.setBearerAuth(token);
        }
        return http.exchange(path, method, new HttpEntity<>(headers), String.class);
    }

}
