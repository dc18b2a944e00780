package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The callback's admission (admit.lua), outcome by outcome. */
class AdmitScriptTest extends ScriptTestSupport {

    private static final List<String> KEYS = List.of("t:dedup:m1", "t:rate:o1", "t:inbox:o1", "t:inboxes",
            "t:reply:m1", "t:outbox:o1", "t:pending:o1");
    private static final String ENTRY = "{\"Key\":\"m1\",\"FromUserName\":\"o1\",\"Content\":\"hi\"}";
    private static final String OWED = "{\"k\":\"m0\",\"reply\":\"owed answer\",\"rest\":\"owed rest\",\"at\":77}";

    /** admit.lua for a new question from o1 in passive delivery, the arguments at these positions (1-based) replaced. */
    private static List<Object> admit(Map<Integer, String> changed) {
        List<String> args = new ArrayList<>(List.of("600", "1", "0", ENTRY, "o1", "0", "passive", "1", "0",
                "t:reply:", "4500", "120000", " [queued]", "2048", "60000", " [full]", " [limited]", "", " [busy]"));
        changed.forEach((position, value) -> args.set(position - 1, value));
        return runForList("admit", KEYS, args.toArray(String[]::new));
    }

    private static List<Object> admit() {
        return admit(Map.of());
    }

    @Test
    void aNewQuestionGoesIntoTheInboxWithAReplySlot() {
        assertThat(admit()).containsExactly("accepted", "passive");
        assertThat(redis.lrange("t:inbox:o1", 0, -1)).containsExactly(ENTRY);
        assertThat(redis.sismember("t:inboxes", "o1")).isTrue();
        assertThat(redis.hget("t:reply:m1", "n")).isEqualTo("1");
        assertThat(redis.hexists("t:reply:m1", "t")).isTrue();
        assertThat(redis.ttl("t:dedup:m1")).isBetween(1L, 600L);
    }

    @Test
    void inPushDeliveryNoReplySlotIsKept() {
        assertThat(admit(Map.of(7, "push"))).containsExactly("accepted", "push");
        assertThat(redis.exists("t:reply:m1")).isFalse();
    }

    @Test
    void aReDeliveryIsCountedOnItsReplySlotAndNeverQueuedTwice() {
        admit();
        assertThat(admit()).containsExactly("retry", "passive", "", "2", "0", "0");
        assertThat(admit()).containsExactly("retry", "passive", "", "3", "0", "0");
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(1);
    }

    @Test
    void aDuplicateWithoutAReplySlotIsJustADuplicate() {
        admit(Map.of(7, "push"));
        assertThat(admit(Map.of(7, "push"))).containsExactly("duplicate", "push");
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(1);
    }

    @Test
    void aFullInboxRefusesTheQuestionWithoutCountingIt() {
        redis.rpush("t:inbox:o1", "a", "b");
        assertThat(admit(Map.of(6, "2", 3, "5"))).containsExactly("full", "passive");
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(2);
        assertThat(redis.exists("t:rate:o1")).as("not counted").isFalse();
    }

    @Test
    void theRateLimitRefusesTheQuestionPastItsLimitForAMinute() {
        redis.set("t:rate:o1", "2");
        assertThat(admit(Map.of(3, "2"))).containsExactly("limited", "passive");
        assertThat(redis.get("t:rate:o1")).isEqualTo("3");
        assertThat(redis.exists("t:inbox:o1")).isFalse();

        redis.flushAll();
        assertThat(admit(Map.of(3, "2"))).containsExactly("accepted", "passive");
        assertThat(redis.ttl("t:rate:o1")).isBetween(1L, 60L);
    }

    @Test
    void theCallbacksOwnRefusalComesAfterTheDuplicateCheck() {
        assertThat(admit(Map.of(18, "busy"))).containsExactly("busy", "passive");
        assertThat(redis.exists("t:inbox:o1", "t:rate:o1")).isZero();
        assertThat(admit(Map.of(18, "busy"))).as("the same message again").containsExactly("duplicate", "passive");
    }

    @Test
    void aMessageThatIsNoQuestionIsNew() {
        assertThat(admit(Map.of(2, "0", 4, ""))).containsExactly("new", "passive");
        assertThat(redis.exists("t:inbox:o1", "t:reply:m1")).isZero();
    }

    @Test
    void anOwedAnswerGoesBackInTheReplyWithTheQueuedHintAndTheQuestionIsQueued() {
        redis.rpush("t:outbox:o1", OWED); // its own slot t:reply:m0 is gone: its callbacks are over
        assertThat(admit()).containsExactly("pickup", "passive", "owed answer [queued]", "1", "1", "77", OWED);
        assertThat(redis.lrange("t:inbox:o1", 0, -1)).containsExactly(ENTRY);
        assertThat(redis.hget("t:reply:m1", "given")).isEqualTo("owed answer [queued]");
        assertThat(redis.get("t:pending:o1")).isEqualTo("owed rest");
        assertThat(redis.exists("t:outbox:o1")).isFalse();
    }

    @Test
    void anOwedAnswerWaitsWhileItsOwnCallbackStillWaits() {
        redis.rpush("t:outbox:o1", OWED);
        redis.hset("t:reply:m0", Map.of("n", "1", "t", Long.toString(OutboxScriptsTest.serverMillis())));
        assertThat(admit()).containsExactly("accepted", "passive");
        assertThat(redis.llen("t:outbox:o1")).isEqualTo(1);
    }

    @Test
    void aRefusedQuestionStillGetsTheOwedAnswerWithTheRefusalsHint() {
        redis.rpush("t:outbox:o1", OWED);
        redis.set("t:rate:o1", "9");
        assertThat(admit(Map.of(3, "2"))).containsExactly("pickup", "passive", "owed answer [limited]", "1", "0",
                "77", OWED);
        assertThat(redis.exists("t:inbox:o1")).isFalse();

        redis.flushAll();
        redis.rpush("t:outbox:o1", OWED);
        assertThat(admit(Map.of(18, "ignored")).get(2)).isEqualTo("owed answer");
    }

    @Test
    void aHintThatWouldPassTheByteLimitIsLeftOff() {
        redis.rpush("t:outbox:o1", OWED);
        assertThat(admit(Map.of(14, "12")).get(2)).isEqualTo("owed answer");
    }

    @Test
    void aContinueCommandThatGotAnOwedAnswerIsAnsweredByIt() {
        redis.rpush("t:outbox:o1", OWED);
        assertThat(admit(Map.of(9, "1"))).containsExactly("pickup", "passive", "owed answer", "1", "0", "77", OWED);
        assertThat(redis.exists("t:inbox:o1")).isFalse();
    }

    @Test
    void aMessageThatCannotCarryAReplyLeavesOwedAnswersAlone() {
        redis.rpush("t:outbox:o1", OWED);
        assertThat(admit(Map.of(8, "0"))).containsExactly("accepted", "passive");
        assertThat(redis.llen("t:outbox:o1")).isEqualTo(1);
    }
}
