package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;

import io.github.oac.store.EmbeddedRedis;
import io.github.oac.store.RedisEndpoint;

/** An unfollow takes the follower's queued work with it, even while one of their turns is in flight. */
class UnsubscribeTest extends RouteTestSupport {

    @Autowired
    RedisEndpoint redisEndpoint;

    @Test
    void unsubscribeRemovesInboxProgressAndPendingRest() {
        String openid = newOpenid();
        String first = newMsgId();
        String second = newMsgId();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("answer to the first"))
                .withFixedDelay(2000)));
        assertThat(postCallback(textMessage(openid, first, "first question")).getBody()).isEqualTo("success");
        await(() -> modelCallsAsking("first question"), calls -> !calls.isEmpty()); // its turn is in flight
        assertThat(postCallback(textMessage(openid, second, "second question")).getBody()).isEqualTo("success");
        // what earlier turns could have left: the rest of a long answer, a progress record of a queued message
        redis.opsForValue().set(keys.pending(openid), "the rest of an earlier answer", Duration.ofHours(48));
        redis.opsForHash().put(keys.progress(openid, second), "attempts", "1");
        List<String> theirs = List.of(keys.inbox(openid), keys.pending(openid), keys.progress(openid, first),
                keys.progress(openid, second));
        assertThat(redis.countExistingKeys(theirs)).isEqualTo(theirs.size());

        assertThat(postCallback(eventMessage(openid, "unsubscribe", null)).getBody()).isEqualTo("success");

        assertThat(redis.countExistingKeys(theirs)).as("gone at once").isZero();
        assertThat(redis.opsForSet().isMember(keys.waiting(openid), openid)).isFalse();

        // the turn in flight ends without failing and without bringing anything back
        await(() -> redis.hasKey(keys.owner(openid)), Boolean.FALSE::equals);
        assertThat(redis.countExistingKeys(theirs)).as("still gone").isZero();
        assertThat(redis.opsForSet().isMember(keys.waiting(openid), openid)).isFalse();
        assertThat(textsSentTo(openid)).as("the turn lost its lease with the rest: nothing goes to who left")
                .isEmpty();
        assertThat(modelCallsAsking("second question")).as("the queued question is not asked").isEmpty();
    }

    @Test
    void followingAgainWhileAnOldTurnRunsLosesNothingAndBringsNothingBack() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing("FIRST"))
                .willReturn(okJson(completion("answer to FIRST")).withFixedDelay(2000)));
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing("SECOND"))
                .willReturn(okJson(completion("answer to SECOND"))));
        postCallback(textMessage(openid, newMsgId(), "FIRST"));
        await(() -> modelCallsAsking("FIRST"), calls -> !calls.isEmpty());

        // unfollow and follow again within the same second, then ask while the first turn still waits
        String second = now();
        postCallback(eventMessage(openid, "unsubscribe", null).replaceFirst("<CreateTime>\\d+", "<CreateTime>" + second));
        ResponseEntity<String> welcome = postCallback(eventMessage(openid, "subscribe", null)
                .replaceFirst("<CreateTime>\\d+", "<CreateTime>" + second));
        postCallback(textMessage(openid, newMsgId(), "SECOND"));

        assertThat(welcome.getBody()).as("a follow is not a duplicate of the unfollow").contains("<Content>");
        await(() -> textsSentTo(openid), texts -> texts.contains("answer to SECOND"));
        awaitQuiet(Duration.ofSeconds(15));
        assertThat(textsSentTo(openid)).containsExactly("answer to SECOND");
        assertThat(redis.opsForValue().get(keys.memory(openid))).doesNotContain("FIRST");
    }

    @Test
    void anUnfollowThatFailedIsRetriedUntilDoneAndItsLateRedeliveryKeepsWhatCameAfter() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing("AFTER"))
                .willReturn(okJson(completion("answer to AFTER"))));
        redis.opsForValue().set(keys.pending(openid), "the rest of an answer from before", Duration.ofHours(48));
        // WeChat made the event a few seconds before this delivery, which fails: Redis is down
        String unsubscribe = eventMessage(openid, "unsubscribe", null).replaceFirst("<CreateTime>\\d+",
                "<CreateTime>" + (System.currentTimeMillis() / 1000 - 3));
        String query = signedQuery();
        EmbeddedRedis server = redisEndpoint.embedded().orElseThrow();
        server.stop();
        try {
            assertThat(postCallback(unsubscribe, query).getStatusCode().value()).isEqualTo(503);
        } finally {
            server.restart();
        }
        // the pool's broken connections go (idle ones are checked every 2 s); the service answers again by itself
        await(() -> postCallback(eventMessage(newOpenid(), "VIEW", null)).getStatusCode().value(),
                status -> status == 200);

        // no further delivery from WeChat needed: the service keeps trying by itself
        await(() -> redis.hasKey(keys.pending(openid)), Boolean.FALSE::equals);
        // they follow again and ask; only then does WeChat's re-delivery of the old event arrive
        postCallback(eventMessage(openid, "subscribe", null));
        postCallback(textMessage(openid, newMsgId(), "AFTER"));
        assertThat(postCallback(unsubscribe, query).getBody()).isEqualTo("success");

        await(() -> textsSentTo(openid), texts -> texts.contains("answer to AFTER"));
        awaitQuiet(Duration.ofSeconds(15));
        assertThat(textsSentTo(openid)).containsExactly("answer to AFTER");
    }

    @Test
    void theDeadLettersOfAFollowerWhoUnfollowedKeepNoMessageText() throws Exception {
        String openid = newOpenid();
        String msgId = newMsgId();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("never delivered"))));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":40003,\"errmsg\":\"invalid openid\"}")));
        postCallback(textMessage(openid, msgId, "a private question"));
        await(() -> redis.opsForHash().hasKey(keys.deadLetters(), msgId), Boolean.TRUE::equals);
        assertThat(redis.opsForHash().get(keys.deadLetters(), msgId).toString()).contains("a private question");

        postCallback(eventMessage(openid, "unsubscribe", null));

        String letter = redis.opsForHash().get(keys.deadLetters(), msgId).toString();
        assertThat(letter).as("the letter stays, for the operator's count, without the text")
                .doesNotContain("a private question").doesNotContain("never delivered").contains("\"forgotten\":true");
        HttpHeaders bearer = new HttpHeaders();
        bearer.setBearerAuth(ADMIN_TOKEN);
        assertThat(http.exchange("/admin/dead-letters/" + msgId + "/replay", HttpMethod.POST,
                new HttpEntity<>(bearer), String.class).getStatusCode().value()).as("and cannot be replayed")
                .isEqualTo(404);
    }
}
