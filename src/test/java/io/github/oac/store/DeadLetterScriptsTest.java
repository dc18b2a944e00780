package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The dead letters' scripts (dead-letter, requeue, drop-letter, purge, page), branch by branch. */
class DeadLetterScriptsTest extends ScriptTestSupport {

    private static final String DEAD = "t:dead";
    private static final String BY_TIME = "t:dead:at";

    private static String letter(String id, String openid) {
        return "{\"id\":\"" + id + "\",\"openid\":\"" + openid + "\",\"message\":{\"Key\":\"" + id + "\"}}";
    }

    private static Long record(String id, String openid, long deadAt) {
        return runForLong("dead-letter", List.of(DEAD, BY_TIME, "t:dead:of:" + openid), id, letter(id, openid),
                Long.toString(deadAt));
    }

    @Test
    void aLetterIsKeptWithBothItsIndexEntries() {
        assertThat(record("m1", "o1", 1000)).isEqualTo(1);
        assertThat(redis.hget(DEAD, "m1")).isEqualTo(letter("m1", "o1"));
        assertThat(redis.zscore(BY_TIME, "m1")).isEqualTo(1000.0);
        assertThat(redis.smembers("t:dead:of:o1")).containsExactly("m1");

        assertThat(record("m1", "o1", 2000)).as("the same message dying again").isZero();
        assertThat(redis.zscore(BY_TIME, "m1")).isEqualTo(2000.0);
    }

    private static Long requeue(String id, String deadAt) {
        return runForLong("requeue", List.of("t:inbox:o1", "t:inboxes", "t:progress:" + id, "t:requeued:" + id),
                "{\"Key\":\"" + id + "\"}", "o1", deadAt, "600000");
    }

    private static Long drop(String id, String deadAt) {
        return runForLong("drop-letter", List.of(DEAD, BY_TIME, "t:dead:of:o1"), id, deadAt);
    }

    @Test
    void aRequeueQueuesTheMessageOncePerLetterAndDropsItsProgress() {
        redis.hset("t:progress:m1", "attempts", "4");

        assertThat(requeue("m1", "2026-12-07T01:00:00Z")).isEqualTo(1);
        assertThat(redis.lrange("t:inbox:o1", 0, -1)).containsExactly("{\"Key\":\"m1\"}");
        assertThat(redis.sismember("t:inboxes", "o1")).isTrue();
        assertThat(redis.exists("t:progress:m1")).isFalse();
        assertThat(redis.get("t:requeued:m1")).isEqualTo("2026-12-07T01:00:00Z");
        assertThat(redis.pttl("t:requeued:m1")).isBetween(1L, 600000L);

        assertThat(requeue("m1", "2026-12-07T01:00:00Z")).as("the same letter again").isZero();
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(1);

        assertThat(requeue("m1", "2026-12-07T02:00:00Z")).as("it died again: a new letter").isEqualTo(1);
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(2);
    }

    private static String deadLetter(String id, String deadAt) {
        return "{\"id\":\"" + id + "\",\"openid\":\"o1\",\"deadAt\":\"" + deadAt + "\"}";
    }

    @Test
    void aReplayedLetterIsDroppedWithItsIndexEntriesOnlyWhileItIsTheSameLetter() {
        runForLong("dead-letter", List.of(DEAD, BY_TIME, "t:dead:of:o1"), "m1", deadLetter("m1", "T2"), "2000");

        assertThat(drop("m1", "T1")).as("the message died again since").isZero();
        assertThat(redis.hexists(DEAD, "m1")).isTrue();

        assertThat(drop("m1", "T2")).isEqualTo(1);
        assertThat(redis.exists(DEAD, BY_TIME, "t:dead:of:o1")).isZero();
        assertThat(drop("m1", "T2")).as("gone already").isZero();
    }

    @Test
    void aLetterWithoutATimeIsDroppedByAReplayThatSawNone() {
        redis.hset(DEAD, "m1", "{\"id\":\"m1\",\"openid\":\"o1\"}");
        assertThat(drop("m1", "")).isEqualTo(1);
        redis.hset(DEAD, "m2", "not json");
        assertThat(drop("m2", "")).isEqualTo(1);
    }

    @Test
    void aPurgeTakesTheOldestLettersBeforeTheCutoffABatchAtATime() {
        record("a", "o1", 1000);
        record("b", "o2", 2000);
        record("c", "o1", 3000);
        record("d", "o1", 9000);
        redis.hset(DEAD, "e", "not json");
        redis.zadd(BY_TIME, 500, "e");

        assertThat(runForLong("purge", List.of(DEAD, BY_TIME), "5000", "2", "t:dead:of:")).isEqualTo(2);
        assertThat(redis.hkeys(DEAD)).containsExactlyInAnyOrder("b", "c", "d");
        assertThat(runForLong("purge", List.of(DEAD, BY_TIME), "5000", "10", "t:dead:of:")).isEqualTo(2);
        assertThat(redis.hkeys(DEAD)).containsExactly("d");
        assertThat(redis.zrange(BY_TIME, 0, -1)).containsExactly("d");
        assertThat(redis.smembers("t:dead:of:o1")).containsExactly("d");
        assertThat(redis.exists("t:dead:of:o2")).isFalse();
    }

    private static List<Object> page(String score, String id, int want) {
        return runForList("page", List.of(DEAD, BY_TIME), score, id, Integer.toString(want));
    }

    @Test
    void pagesFollowTimeThenIdAndResumeAfterAPositionThatIsGone() {
        record("b", "o1", 1000);
        record("a", "o1", 1000);
        record("c", "o1", 2000);
        record("d", "o1", 3000);

        assertThat(page("0", "", 2)).containsExactly("a", "1000", letter("a", "o1"), "b", "1000", letter("b", "o1"));
        assertThat(page("1000", "b", 2)).containsExactly("c", "2000", letter("c", "o1"), "d", "3000",
                letter("d", "o1"));

        drop("c", "");
        assertThat(page("2000", "c", 5)).as("after a replayed letter").containsExactly("d", "3000",
                letter("d", "o1"));
        assertThat(page("1000", "a", 5)).containsExactly("b", "1000", letter("b", "o1"), "d", "3000",
                letter("d", "o1"));
        assertThat(page("3000", "d", 5)).isEmpty();
    }

    @Test
    void anIndexEntryWithoutItsLetterPagesAsMissing() {
        redis.zadd(BY_TIME, 1000, "ghost");
        assertThat(page("0", "", 5)).containsExactly("ghost", "1000", null);
    }
}
