package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * What one answered question costs in Redis round trips: a plaintext callback's signed request spent, its
 * admission, the turn's claim + read, its commit, and the step that pops the message (and finds the inbox empty). In
 * safe mode no signed request needs spending: four (SafeModeTest). Counted from the server's own command log
 * (RouteTestSupport.redisRoundTripsOfOneAnswer).
 */
class RoundTripsTest extends RouteTestSupport {

    @Test
    void aOnePartPlaintextAnswerCostsAtMostFiveRedisRoundTrips() throws Exception {
        List<String> roundTrips = redisRoundTripsOfOneAnswer("short answer");

        assertThat(roundTrips).as(String.join("\n", roundTrips)).hasSizeLessThanOrEqualTo(5);
    }
}
