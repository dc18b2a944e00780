package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The outbox's scripts (take, settle, offer, give-back), branch by branch. */
class OutboxScriptsTest extends ScriptTestSupport {

    private static final String SLOT = "t:reply:m1";
    private static final String OUTBOX = "t:outbox:o1";
    private static final String PENDING = "t:pending:o1";
    private static final String LEASE = "t:owner:o1";
    private static final String PROGRESS = "t:progress:m1";
    private static final String ENTRY = "{\"k\":\"m1\",\"reply\":\"the answer\",\"rest\":\"the rest\",\"at\":1700000000123}";
    private static final String OTHER = "{\"k\":\"m0\",\"reply\":\"older answer\",\"rest\":\"\",\"at\":5}";

    private static List<Object> take() {
        return runForList("take", List.of(SLOT, OUTBOX, PENDING), "m1", "60000", "120000");
    }

    private static List<Object> settle(String mode, boolean last, boolean mayTake) {
        return runForList("settle", List.of(SLOT, OUTBOX, PENDING), "m1", "60000", "120000", mode, last ? "1" : "0",
                "t:replies", mayTake ? "1" : "0");
    }

    @Test
    void takeGivesTheMessageItsOwnAnswerOnceAndKeepsTheRestForContinue() {
        redis.rpush(OUTBOX, OTHER, ENTRY);
        redis.hset(SLOT, Map.of("n", "1", "t", "1"));

        assertThat(take()).containsExactly("passive", "the answer", "1700000000123", ENTRY);
        assertThat(redis.lrange(OUTBOX, 0, -1)).containsExactly(OTHER);
        assertThat(redis.get(PENDING)).isEqualTo("the rest");
        assertThat(redis.hget(SLOT, "given")).isEqualTo("the answer");

        assertThat(take()).as("a re-delivery gets the same").containsExactly("repeat", "the answer");
    }

    @Test
    void takeWithoutARestDropsTheOldRest() {
        redis.set(PENDING, "stale");
        redis.rpush(OUTBOX, "{\"k\":\"m1\",\"reply\":\"whole\",\"rest\":\"\",\"at\":1}");
        assertThat(take().get(1)).isEqualTo("whole");
        assertThat(redis.exists(PENDING)).isFalse();
    }

    @Test
    void takeSaysPushOrNothingWhileNoAnswerIsThere() {
        redis.rpush(OUTBOX, OTHER);
        assertThat(take()).containsExactly("none");
        redis.hset(SLOT, "state", "push");
        assertThat(take()).containsExactly("push");
        assertThat(redis.lrange(OUTBOX, 0, -1)).containsExactly(OTHER);
    }

    @Test
    void settleTakesAReadyAnswerFirst() {
        redis.rpush(OUTBOX, ENTRY);
        assertThat(settle("passive", false, true)).containsExactly("passive", "the answer", "1700000000123", ENTRY);
    }

    @Test
    void settleInHybridMarksTheMessageForPush() {
        redis.hset(SLOT, "n", "1");
        assertThat(settle("hybrid", false, true)).containsExactly("push");
        assertThat(redis.hget(SLOT, "state")).isEqualTo("push");
        assertThat(redis.pttl(SLOT)).isBetween(1L, 60000L);
    }

    @Test
    void settleInPassiveHoldsAnEarlyDeliveryAndGivesTheLastThePlaceholder() {
        redis.hset(SLOT, "n", "1");
        assertThat(settle("passive", false, true)).containsExactly("hold");
        assertThat(redis.hexists(SLOT, "state")).isFalse();

        assertThat(settle("passive", true, true)).containsExactly("placeholder");
        assertThat(redis.hget(SLOT, "state")).isEqualTo("placeholder");
    }

    @Test
    void settleTooLateToCarryTheAnswerLeavesItOwed() {
        redis.rpush(OUTBOX, ENTRY);
        assertThat(settle("passive", true, false)).containsExactly("placeholder");
        assertThat(redis.lrange(OUTBOX, 0, -1)).containsExactly(ENTRY);
    }

    private static String offer(String token, String mode, boolean fits, String keptForPush) {
        return (String) run("offer", List.of(LEASE, PROGRESS, SLOT, OUTBOX, PENDING), token, "30000", mode, ENTRY,
                fits ? "1" : "0", "4500", "120000", "t:replies", "m1", keptForPush);
    }

    @Test
    void offerPutsTheAnswerInTheOutboxOnceAndTakesOverTheRestKeptForPush() {
        redis.set(LEASE, "tok1");
        redis.set(PENDING, "rest kept for push");

        assertThat(offer("tok1", "passive", false, "rest kept for push")).isEqualTo("offered");
        assertThat(redis.lrange(OUTBOX, 0, -1)).containsExactly(ENTRY);
        assertThat(redis.pttl(OUTBOX)).isBetween(1L, 120000L);
        assertThat(redis.hget(PROGRESS, "offered")).isEqualTo("1");
        assertThat(redis.exists(PENDING)).isFalse();

        assertThat(offer("tok1", "passive", false, "")).as("a resumed turn").isEqualTo("offered");
        assertThat(redis.llen(OUTBOX)).isEqualTo(1);
    }

    @Test
    void offerLeavesARestAPickupReplaced() {
        redis.set(LEASE, "tok1");
        redis.set(PENDING, "a newer rest");
        assertThat(offer("tok1", "passive", false, "rest kept for push")).isEqualTo("offered");
        assertThat(redis.get(PENDING)).isEqualTo("a newer rest");
    }

    @Test
    void offerInHybridWhilstTheCallbackWaitsAndTheAnswerFits() {
        redis.set(LEASE, "tok1");
        redis.hset(SLOT, Map.of("n", "1", "t", Long.toString(serverMillis())));
        assertThat(offer("tok1", "hybrid", true, "")).isEqualTo("offered");
        assertThat(redis.llen(OUTBOX)).isEqualTo(1);
    }

    @Test
    void offerInHybridPushesWhatDoesNotFitOrComesAfterTheCallbackStoppedWaiting() {
        redis.set(LEASE, "tok1");
        redis.hset(SLOT, Map.of("n", "1", "t", Long.toString(serverMillis())));
        assertThat(offer("tok1", "hybrid", false, "")).as("does not fit").isEqualTo("push");
        assertThat(redis.hget(SLOT, "state")).isEqualTo("push");

        redis.del(SLOT);
        redis.hset(SLOT, Map.of("n", "1", "t", Long.toString(serverMillis() - 10_000)));
        assertThat(offer("tok1", "hybrid", true, "")).as("past the window").isEqualTo("push");

        redis.del(SLOT);
        assertThat(offer("tok1", "hybrid", true, "")).as("no slot").isEqualTo("push");
        assertThat(redis.exists(SLOT)).as("no slot made up").isFalse();
        assertThat(redis.exists(OUTBOX)).isFalse();
        assertThat(redis.hexists(PROGRESS, "offered")).isFalse();
    }

    @Test
    void offerWritesNothingOnceTheLeaseIsLost() {
        redis.set(LEASE, "successor");
        assertThat(offer("tok1", "passive", true, "")).isEqualTo("lost");
        assertThat(redis.exists(OUTBOX)).isFalse();
    }

    private static Long giveBack(String reply) {
        return runForLong("give-back", List.of(SLOT, OUTBOX, PENDING), ENTRY, reply, "120000");
    }

    @Test
    void giveBackPutsATooLateAnswerFirstInLineAgain() {
        redis.rpush(OUTBOX, OTHER);
        redis.hset(SLOT, "given", "the answer");
        redis.set(PENDING, "the rest");

        assertThat(giveBack("the answer")).isEqualTo(1);
        assertThat(redis.lrange(OUTBOX, 0, -1)).containsExactly(ENTRY, OTHER);
        assertThat(redis.hexists(SLOT, "given")).isFalse();
        assertThat(redis.exists(PENDING)).as("the rest is back in the entry").isFalse();

        assertThat(giveBack("the answer")).as("undone already").isZero();
        assertThat(redis.llen(OUTBOX)).isEqualTo(2);
    }

    @Test
    void giveBackLeavesAReplyThatIsNoLongerTheOneGiven() {
        redis.hset(SLOT, "given", "another reply");
        assertThat(giveBack("the answer")).isZero();
        assertThat(redis.hget(SLOT, "given")).isEqualTo("another reply");
        assertThat(redis.exists(OUTBOX)).isFalse();
    }

    static long serverMillis() {
        List<String> time = redis.time();
        return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    }
}
