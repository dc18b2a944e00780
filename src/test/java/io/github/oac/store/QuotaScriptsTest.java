package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The daily quota's scripts (quota-take, quota-spend) and the day's usage (usage-add), branch by branch. */
class QuotaScriptsTest extends ScriptTestSupport {

    private static final String DAY = "t:quota:20261208";

    private static Long take(String msgKey, int questions, int tokens) {
        return runForLong("quota-take", List.of(DAY), msgKey, Integer.toString(questions), Integer.toString(tokens),
                "172800000");
    }

    private static Long spend(String msgKey, long tokens) {
        return runForLong("quota-spend", List.of(DAY), msgKey, Long.toString(tokens), "172800000");
    }

    @Test
    void questionsAreCountedOncePerMessageUntilTheLimit() {
        assertThat(take("m1", 2, 0)).isEqualTo(1);
        assertThat(take("m1", 2, 0)).as("a resumed turn of the same message").isEqualTo(1);
        assertThat(redis.hget(DAY, "questions")).isEqualTo("1");
        assertThat(take("m2", 2, 0)).isEqualTo(1);
        assertThat(take("m3", 2, 0)).as("over the limit").isZero();
        assertThat(redis.hget(DAY, "questions")).as("a refusal counts nothing").isEqualTo("2");
        assertThat(redis.hexists(DAY, "m:m3")).isFalse();
        assertThat(take("m1", 2, 0)).as("counted before the limit was reached").isEqualTo(1);
        assertThat(redis.pttl(DAY)).isBetween(1L, 172800000L);
    }

    @Test
    void tokensAreCountedOncePerMessageAndRefuseTheNextQuestionOnceAtTheLimit() {
        assertThat(take("m1", 0, 150)).isEqualTo(1);
        assertThat(spend("m1", 100)).isEqualTo(100);
        assertThat(spend("m1", 100)).as("the same message's answer again").isEqualTo(100);
        assertThat(take("m2", 0, 150)).as("100 of 150").isEqualTo(1);
        assertThat(spend("m2", 100)).as("the question that crossed the line was answered").isEqualTo(200);
        assertThat(take("m3", 0, 150)).isZero();
        assertThat(take("m3", 5, 0)).as("no token limit: questions only").isEqualTo(1);
    }

    @Test
    void aFollowersTokensOfTheDayAddUpInTheirAccountsUsage() {
        List<String> usage = List.of("t:usage:20261208");
        assertThat(runForLong("usage-add", usage, "o1", "100", "604800000")).isEqualTo(100);
        assertThat(runForLong("usage-add", usage, "o2", "30", "604800000")).isEqualTo(30);
        assertThat(runForLong("usage-add", usage, "o1", "50", "604800000")).isEqualTo(150);
        assertThat(redis.zrevrange("t:usage:20261208", 0, -1)).containsExactly("o1", "o2");
        assertThat(redis.pttl("t:usage:20261208")).isBetween(1L, 604800000L);
    }
}
