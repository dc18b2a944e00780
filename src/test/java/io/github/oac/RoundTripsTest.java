package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import io.github.oac.store.RedisEndpoint;

/**
 * What one answered question costs in Redis round trips: a plaintext callback's signed request spent, its
 * admission, the turn's claim + read, its commit, and the step that pops the message (and finds the inbox empty). In
 * safe mode no signed request needs spending: four (SafeModeTest). Counted from the server's own command log,
 * for this follower's and this message's keys, signed requests and the access token only, so the recovery scan and other tests'
 * traffic do not count; a lease heartbeat (a background renewal of this follower's lease) is left out too.
 */
class RoundTripsTest extends RouteTestSupport {

    @Autowired
    RedisEndpoint redisEndpoint;

    @Test
    void aOnePartPlaintextAnswerCostsAtMostFiveRedisRoundTrips() throws Exception {
        stubModelAnswer("short answer");
        String warmUp = newOpenid(); // the access token is fetched once, then kept
        postCallback(textMessage(warmUp, newMsgId(), "warm up"));
        awaitQuiet(Duration.ofSeconds(15));

        String openid = newOpenid();
        String msgId = newMsgId();
        List<String> roundTrips;
        try (RedisCommandLog log = RedisCommandLog.start(redisEndpoint.url())) {
            postCallback(textMessage(openid, msgId, "how many round trips?"));
            await(() -> sendsTo(openid), sends -> sends.size() == 1);
            awaitQuiet(Duration.ofSeconds(15));
            roundTrips = log.mentioning(openid, msgId, "oac:token:", "oac:replay:").stream()
                    .filter(line -> !line.contains("\"1\" \"" + keys.owner(openid) + "\"")) // the lease heartbeat
                    .toList();
        }

        assertThat(textsSentTo(openid)).containsExactly("short answer");
        assertThat(roundTrips).as(String.join("\n", roundTrips)).hasSizeLessThanOrEqualTo(5);
    }
}
