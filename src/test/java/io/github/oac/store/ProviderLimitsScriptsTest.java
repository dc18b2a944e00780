package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A model provider's limits (model-permit, model-settle, model-pause), branch by branch, against a real Redis. */
class ProviderLimitsScriptsTest extends ScriptTestSupport {

    private static final String LIMITS = "t:{model:p}:limits";
    private static final String LINE = "t:{model:p}:line";
    private static final String TURNS = "t:{model:p}:turns";
    private static final List<String> KEYS = List.of(LIMITS, LINE, TURNS);

    @BeforeEach
    void empty() {
        redis.del(LIMITS, LINE, TURNS);
    }

    /** {permitted (1/0), ms}. */
    private static List<Object> permit(String turn, long arrivedAt, int rpm, int tpm, long burstMillis, long estimate,
                                       long graceMillis) {
        return runForList("model-permit", KEYS, turn, Long.toString(arrivedAt), Integer.toString(rpm),
                Integer.toString(tpm), Long.toString(burstMillis), Long.toString(estimate), Long.toString(graceMillis));
    }

    private static List<Object> permit(String turn, long arrivedAt) {
        return permit(turn, arrivedAt, 60, 0, 1000, 100, 2000); // one a second, at most one at once
    }

    @Test
    void aTurnWithinTheLimitGoesAtOnceWithoutStandingInLine() {
        assertThat(permit("a", 1000)).containsExactly(1L, 0L);
        assertThat(redis.exists(LINE)).isFalse();
        assertThat(Double.parseDouble(redis.hget(LIMITS, "r"))).as("the one request taken").isLessThan(0.1);
        assertThat(redis.pttl(LIMITS)).isPositive();
    }

    @Test
    void turnsOverTheLimitWaitInLineByArrivalAndAreToldHowLong() {
        assertThat(permit("first", 1000).get(0)).isEqualTo(1L);
        List<Object> second = permit("second", 2000);
        assertThat(second.get(0)).isEqualTo(0L);
        assertThat((Long) second.get(1)).as("a second's refill").isBetween(900L, 1000L);
        List<Object> third = permit("third", 3000);
        assertThat((Long) third.get(1)).as("behind the second").isBetween(1900L, 2000L);
        List<Object> early = permit("early", 1500);
        assertThat((Long) early.get(1)).as("arrived before the others in line: first in it").isBetween(900L, 1000L);
        assertThat(redis.zrange(LINE, 0, -1)).containsExactly("early", "second", "third");
        assertThat(redis.hget(TURNS, "second")).matches("\\d+:\\d+");
    }

    @Test
    void aTurnAtTheFrontGoesOnceTheBucketRefilledAndSaysHowLongItWaited() throws Exception {
        permit("first", 1000);
        permit("second", 2000);
        Thread.sleep(1050);
        List<Object> second = permit("second", 2000);
        assertThat(second.get(0)).isEqualTo(1L);
        assertThat((Long) second.get(1)).as("waited since its first ask").isBetween(1000L, 3000L);
        assertThat(redis.zcard(LINE)).isZero();
        assertThat(redis.hexists(TURNS, "second")).isFalse();
    }

    @Test
    void aLaterTurnNeverOvertakesOneWaitingAheadOfIt() throws Exception {
        permit("first", 1000, 120, 0, 500, 100, 2000); // two a second, one at once
        permit("second", 2000, 120, 0, 500, 100, 2000);
        permit("third", 3000, 120, 0, 500, 100, 2000);
        Thread.sleep(600); // one request's refill: for the front of the line only
        assertThat(permit("third", 3000, 120, 0, 500, 100, 2000).get(0)).isEqualTo(0L);
        assertThat(permit("second", 2000, 120, 0, 500, 100, 2000).get(0)).isEqualTo(1L);
    }

    @Test
    void aTurnThatDoesNotAskAgainInTimeLeavesTheLineAndGetsItsPlaceBackWhenItDoes() throws Exception {
        permit("first", 1000, 60, 0, 1000, 100, 0);
        permit("stalled", 2000, 60, 0, 1000, 100, 0); // told ~1 s, no grace
        permit("patient", 3000, 60, 0, 1000, 100, 0);
        Thread.sleep(2100); // stalled's time passed without its ask; two requests refilled (one at once)
        assertThat(permit("patient", 3000, 60, 0, 1000, 100, 0).get(0)).as("stalled left the line").isEqualTo(1L);
        assertThat(redis.zrange(LINE, 0, -1)).doesNotContain("stalled");
        assertThat(permit("stalled", 2000, 60, 0, 1000, 100, 5000).get(0)).isEqualTo(0L);
        assertThat(permit("later", 4000, 60, 0, 1000, 100, 5000).get(0)).isEqualTo(0L);
        assertThat(redis.zrange(LINE, 0, -1)).containsExactly("stalled", "later");
    }

    @Test
    void theTokensBucketHoldsACallUntilItHasItsEstimateOrIsFull() {
        // 6000 a minute: 100 a second, at most 100 at once
        assertThat(permit("a", 1000, 0, 6000, 1000, 80, 2000)).containsExactly(1L, 0L);
        List<Object> b = permit("b", 2000, 0, 6000, 1000, 80, 2000);
        assertThat(b.get(0)).as("20 left of 100").isEqualTo(0L);
        assertThat((Long) b.get(1)).isBetween(500L, 610L);
        redis.del(LIMITS, LINE, TURNS);
        assertThat(permit("big", 1000, 0, 6000, 1000, 1000, 2000).get(0)).as("larger than the bucket: once full")
                .isEqualTo(1L);
        assertThat(Double.parseDouble(redis.hget(LIMITS, "t"))).isLessThan(-899);
    }

    @Test
    void settlingGivesBackWhatTheCallDidNotSpendUpToTheBucketsSize() {
        permit("big", 1000, 0, 6000, 1000, 1000, 2000); // 100 - 1000
        assertThat(runForLong("model-settle", List.of(LIMITS), "6000", "1000", "1000", "30")).isEqualTo(70L);
        assertThat(runForLong("model-settle", List.of(LIMITS), "6000", "1000", "100", "0")).as("never over its size")
                .isEqualTo(100L);
        assertThat(runForLong("model-settle", List.of(LIMITS), "6000", "1000", "10", "60")).as("spent more")
                .isEqualTo(50L);
        assertThat(runForLong("model-settle", List.of("t:{model:gone}:limits"), "6000", "1000", "10", "0"))
                .isEqualTo(-1L);
    }

    @Test
    void aPauseHoldsEveryTurnInLineAndIsNeverShortened() {
        assertThat(runForLong("model-pause", List.of(LIMITS), "5000")).isBetween(4990L, 5000L);
        assertThat(runForLong("model-pause", List.of(LIMITS), "1000")).as("the longer one stays").isBetween(4900L,
                5000L);
        List<Object> held = permit("a", 1000, 0, 0, 1000, 100, 2000);
        assertThat(held.get(0)).as("no limits, but paused").isEqualTo(0L);
        assertThat((Long) held.get(1)).isBetween(4800L, 5000L);
        assertThat(redis.zrange(LINE, 0, -1)).containsExactly("a");
        assertThat(redis.pttl(LIMITS)).isGreaterThan(5000L);
    }
}
