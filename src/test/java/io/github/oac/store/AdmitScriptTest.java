package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The callback's admission (admit.lua), outcome by outcome. */
class AdmitScriptTest extends ScriptTestSupport {

    private static final List<String> KEYS = List.of("t:replay:sig1", "t:dedup:m1", "t:rate:o1", "t:inbox:o1",
            "t:inboxes", "t:reply:m1", "t:outbox:o1", "t:pending:o1", "t:delivery");
    private static final String ENTRY = "{\"Key\":\"m1\",\"FromUserName\":\"o1\",\"Content\":\"hi\"}";
    private static final String OWED = "{\"k\":\"m0\",\"reply\":\"owed answer\",\"rest\":\"owed rest\",\"at\":77}";

    /** The arguments of a new question from o1 in passive delivery, with these positions (1-based) replaced. */
    private static List<Object> admit(Map<Integer, String> changed) {
        List<String> args = new ArrayList<>(List.of("600", "300", "1", "0", ENTRY, "o1", "0", "digest1", "passive",
                "1", "0", "t:reply:", "4500", "120000", " [queued]", "2048", "60000", " [full]", " [limited]", "",
                " [busy]"));
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
        assertThat(redis.ttl("t:replay:sig1")).isBetween(1L, 600L);
        assertThat(redis.ttl("t:dedup:m1")).isBetween(1L, 300L);
    }

    @Test
    void inPushDeliveryNoReplySlotIsKept() {
        assertThat(admit(Map.of(9, "push"))).containsExactly("accepted", "push");
        assertThat(redis.exists("t:reply:m1")).isFalse();
    }

    @Test
    void autoDeliveryIsHybridUntilPassiveWasLearned() {
        assertThat(admit(Map.of(9, "auto")).get(1)).isEqualTo("hybrid");
        redis.flushAll();
        redis.set("t:delivery", "passive");
        assertThat(admit(Map.of(9, "auto")).get(1)).isEqualTo("passive");
    }

    @Test
    void theSameSignedRequestWithAnotherBodyIsAReplayAndLocksTheRecord() {
        admit();
        assertThat(admit(Map.of(8, "digest2"))).containsExactly("replay", "passive");
        assertThat(redis.get("t:replay:sig1")).isEqualTo("locked");
        assertThat(admit()).as("even the first body, once locked").containsExactly("replay", "passive");
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(1);
    }

    @Test
    void aReDeliveryIsCountedOnItsReplySlotAndNeverQueuedTwice() {
        admit();
        assertThat(admit()).as("same signed request, same body").containsExactly("retry", "passive", "", "2", "0",
                "0");
        redis.del("t:replay:sig1");
        assertThat(admit()).as("a fresh signature, dedup still there").containsExactly("retry", "passive", "", "3",
                "0", "0");
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(1);
    }

    @Test
    void aDuplicateWithoutAReplySlotIsJustADuplicate() {
        admit(Map.of(9, "push"));
        redis.del("t:replay:sig1");
        assertThat(admit(Map.of(9, "push"))).containsExactly("duplicate", "push");
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(1);
    }

    @Test
    void aFullInboxRefusesTheQuestionWithoutCountingIt() {
        redis.rpush("t:inbox:o1", "a", "b");
        assertThat(admit(Map.of(7, "2", 4, "5"))).containsExactly("full", "passive");
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(2);
        assertThat(redis.exists("t:rate:o1")).as("not counted").isFalse();
    }

    @Test
    void theRateLimitRefusesTheQuestionPastItsLimitForAMinute() {
        redis.set("t:rate:o1", "2");
        assertThat(admit(Map.of(4, "2"))).containsExactly("limited", "passive");
        assertThat(redis.get("t:rate:o1")).isEqualTo("3");
        assertThat(redis.exists("t:inbox:o1")).isFalse();

        redis.flushAll();
        assertThat(admit(Map.of(4, "2"))).containsExactly("accepted", "passive");
        assertThat(redis.ttl("t:rate:o1")).isBetween(1L, 60L);
    }

    @Test
    void theCallbacksOwnRefusalComesAfterReplayAndDuplicateChecks() {
        assertThat(admit(Map.of(20, "busy"))).containsExactly("busy", "passive");
        assertThat(redis.exists("t:inbox:o1", "t:rate:o1")).isZero();
        assertThat(admit(Map.of(20, "busy"))).as("the same message again").containsExactly("duplicate", "passive");
    }

    @Test
    void aMessageThatIsNoQuestionIsNew() {
        assertThat(admit(Map.of(3, "0", 5, ""))).containsExactly("new", "passive");
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
        assertThat(admit(Map.of(4, "2"))).containsExactly("pickup", "passive", "owed answer [limited]", "1", "0",
                "77", OWED);
        assertThat(redis.exists("t:inbox:o1")).isFalse();

        redis.flushAll();
        redis.rpush("t:outbox:o1", OWED);
        assertThat(admit(Map.of(20, "ignored")).get(2)).isEqualTo("owed answer");
    }

    @Test
    void aHintThatWouldPassTheByteLimitIsLeftOff() {
        redis.rpush("t:outbox:o1", OWED);
        assertThat(admit(Map.of(16, "12")).get(2)).isEqualTo("owed answer");
    }

    @Test
    void aContinueCommandThatGotAnOwedAnswerIsAnsweredByIt() {
        redis.rpush("t:outbox:o1", OWED);
        assertThat(admit(Map.of(11, "1"))).containsExactly("pickup", "passive", "owed answer", "1", "0", "77", OWED);
        assertThat(redis.exists("t:inbox:o1")).isFalse();
    }

    @Test
    void aMessageThatCannotCarryAReplyLeavesOwedAnswersAlone() {
        redis.rpush("t:outbox:o1", OWED);
        assertThat(admit(Map.of(10, "0"))).containsExactly("accepted", "passive");
        assertThat(redis.llen("t:outbox:o1")).isEqualTo(1);
    }
}
