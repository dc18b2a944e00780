package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The inbox's scripts (claim, next, commit, sent, keep-pending, pause, orphans, delete-if-same, renew), branch by branch. */
class InboxScriptsTest extends ScriptTestSupport {

    private static final String LEASE = "t:owner:o1";
    private static final String INBOX = "t:inbox:o1";
    private static final String INBOXES = "t:inboxes";
    private static final String MEMORY = "t:memory:o1";
    private static final String PENDING = "t:pending:o1";
    private static final String PHOTO = "t:photo:o1";
    private static final List<String> TURN_KEYS = List.of(LEASE, INBOX, INBOXES, MEMORY, PENDING, PHOTO);
    private static final String FIRST = "{\"Key\":\"m1\",\"FromUserName\":\"o1\",\"Content\":\"one\"}";
    private static final String SECOND = "{\"Key\":\"m2\",\"FromUserName\":\"o1\",\"Content\":\"two\"}";

    private static List<Object> claim(String token) {
        return runForList("claim", TURN_KEYS, token, "30000", "o1", "t:progress:", "60000", "90000");
    }

    private static List<Object> next(String token, String head, String progress) {
        return runForList("next", TURN_KEYS, token, "30000", "o1", "t:progress:", "60000", "90000", head, progress);
    }

    private static void queue(String... entries) {
        redis.rpush(INBOX, entries);
        redis.sadd(INBOXES, "o1");
    }

    @Test
    void claimTakesTheLeaseAndReadsTheHeadWithItsProgressMemoryAndRest() {
        queue(FIRST, SECOND);
        redis.set(MEMORY, "[remembered]");
        redis.set(PENDING, "the rest");

        List<Object> turn = claim("tok1");

        assertThat(turn).containsExactly("turn", FIRST, null, null, "1", "[remembered]", "the rest", "", "", null);
        assertThat(redis.get(LEASE)).isEqualTo("tok1");
        assertThat(redis.pttl(LEASE)).isBetween(1L, 30000L);
        assertThat(redis.hget("t:progress:m1", "attempts")).isEqualTo("1");
        assertThat(redis.pttl("t:progress:m1")).isBetween(1L, 60000L);
        assertThat(redis.pttl(MEMORY)).as("memory touched").isBetween(1L, 90000L);
    }

    @Test
    void claimIsRefusedWhileAnotherTurnHoldsTheLease() {
        queue(FIRST);
        redis.set(LEASE, "someone");

        assertThat(claim("tok1")).containsExactly("taken");
        assertThat(redis.get(LEASE)).isEqualTo("someone");
        assertThat(redis.exists("t:progress:m1")).isFalse();
    }

    @Test
    void claimOnAnEmptyInboxEndsTheLeaseAndTheFollowerLeavesTheSet() {
        redis.sadd(INBOXES, "o1");

        assertThat(claim("tok1")).containsExactly("idle");
        assertThat(redis.exists(LEASE)).isFalse();
        assertThat(redis.sismember(INBOXES, "o1")).isFalse();
    }

    @Test
    void theProgressKeyComesFromTheKeyElseTheMsgIdElseSenderAndTime() {
        queue("{\"MsgId\":\" 42 \",\"FromUserName\":\"o1\"}");
        claim("tok1");
        assertThat(redis.hget("t:progress:42", "attempts")).isEqualTo("1");

        redis.del(LEASE, INBOX);
        queue("{\"FromUserName\":\"o1\",\"CreateTime\":\"1700000000\"}");
        claim("tok2");
        assertThat(redis.hget("t:progress:o1:1700000000", "attempts")).isEqualTo("1");
    }

    @Test
    void aResumedTurnReadsTheDecisionAndAdoptsIt() {
        queue(FIRST);
        redis.hset("t:progress:m1", java.util.Map.of("attempts", "1", "answer", "decided", "sent", "2", "over", "1",
                "label", "1", "by", "old"));

        assertThat(claim("tok2")).containsExactly("turn", FIRST, "decided", "2", "2", null, null, "1", "1", null);
        assertThat(redis.hget("t:progress:m1", "by")).isEqualTo("tok2");
    }

    @Test
    void nextPopsTheFinishedHeadWithItsProgressAndReadsTheFollowingOne() {
        queue(FIRST, SECOND);
        claim("tok1");

        assertThat(next("tok1", FIRST, "t:progress:m1")).containsExactly("turn", SECOND, null, null, "1", null, null,
                "", "", null);
        assertThat(redis.lrange(INBOX, 0, -1)).containsExactly(SECOND);
        assertThat(redis.exists("t:progress:m1")).isFalse();
        assertThat(next("tok1", SECOND, "t:progress:m2")).containsExactly("idle");
        assertThat(redis.exists(LEASE)).isFalse();
    }

    @Test
    void nextLeavesAHeadThatIsNoLongerTheFinishedOne() {
        queue(SECOND);
        redis.set(LEASE, "tok1");

        assertThat(next("tok1", FIRST, "t:progress:m1").get(1)).isEqualTo(SECOND);
        assertThat(redis.lrange(INBOX, 0, -1)).containsExactly(SECOND);
    }

    @Test
    void nextWritesNothingOnceAnotherTurnHoldsTheLease() {
        queue(FIRST, SECOND);
        redis.set(LEASE, "successor");
        redis.hset("t:progress:m1", "by", "tok1");

        assertThat(next("tok1", FIRST, "t:progress:m1")).containsExactly("lost");
        assertThat(redis.lrange(INBOX, 0, -1)).containsExactly(FIRST, SECOND);
        assertThat(redis.exists("t:progress:m1")).isTrue();
    }

    @Test
    void aLapsedLeaseIsTakenBackOnlyWhileTheTurnsDecisionStands() {
        queue(FIRST, SECOND);
        redis.hset("t:progress:m1", "by", "tok1");
        assertThat(next("tok1", FIRST, "t:progress:m1").get(0)).as("lapsed, nobody took it").isEqualTo("turn");
        assertThat(redis.get(LEASE)).isEqualTo("tok1");

        redis.del(LEASE);
        redis.hset("t:progress:m2", "by", "successor");
        assertThat(next("tok1", SECOND, "t:progress:m2")).as("a successor decided").containsExactly("lost");
        assertThat(redis.exists(LEASE)).isFalse();
    }

    private static Long commit(String token, String memoryMode, String memory, String pending, String pendingMode,
                               String pendingRead, String generated) {
        return commit(token, memoryMode, memory, pending, pendingMode, pendingRead, generated, "");
    }

    private static Long commit(String token, String memoryMode, String memory, String pending, String pendingMode,
                               String pendingRead, String generated, String photo) {
        return runForLong("commit", List.of(LEASE, "t:progress:m1", MEMORY, PENDING, INBOX, PHOTO), token, "30000",
                "the answer", "60000", memoryMode, memory, "90000", pending, "120000", FIRST, pendingMode, pendingRead,
                generated, photo, "150000");
    }

    @Test
    void claimAndNextReadTheLatestPhotoWithTheTurn() {
        queue(FIRST, SECOND);
        redis.set(PHOTO, "{\"MsgType\":\"image\"}");

        assertThat(claim("tok1").get(9)).isEqualTo("{\"MsgType\":\"image\"}");
        assertThat(next("tok1", FIRST, "t:progress:m1").get(9)).isEqualTo("{\"MsgType\":\"image\"}");
    }

    @Test
    void commitKeepsAPhotoForItsTimeAndAResetForgetsItWithTheConversation() {
        queue(FIRST);
        redis.set(LEASE, "tok1");

        assertThat(commit("tok1", "set", "[memory]", "", "set", "", "1", FIRST)).isEqualTo(1);
        assertThat(redis.get(PHOTO)).isEqualTo(FIRST);
        assertThat(redis.pttl(PHOTO)).isBetween(1L, 150000L);

        assertThat(commit("tok1", "keep", "", "", "set", "", "1")).isEqualTo(1);
        assertThat(redis.get(PHOTO)).as("a text question leaves it").isEqualTo(FIRST);

        assertThat(commit("tok1", "del", "", "", "set", "", "")).isEqualTo(1);
        assertThat(redis.exists(PHOTO, MEMORY)).as("a reset forgets both").isZero();
    }

    @Test
    void commitKeepsNoPhotoWhenTheLeaseIsLost() {
        queue(FIRST);
        redis.set(LEASE, "successor");
        assertThat(commit("tok1", "set", "[memory]", "", "set", "", "1", FIRST)).isZero();
        assertThat(redis.exists(PHOTO)).isFalse();
    }

    @Test
    void commitRecordsTheTextTheLabelTheConversationAndTheRest() {
        queue(FIRST);
        redis.set(LEASE, "tok1");

        assertThat(commit("tok1", "set", "[memory]", "rest", "set", "", "1")).isEqualTo(1);

        assertThat(redis.hgetAll("t:progress:m1")).containsEntry("answer", "the answer").containsEntry("by", "tok1")
                .containsEntry("label", "1");
        assertThat(redis.get(MEMORY)).isEqualTo("[memory]");
        assertThat(redis.pttl(MEMORY)).isBetween(1L, 90000L);
        assertThat(redis.get(PENDING)).isEqualTo("rest");
        assertThat(redis.pttl(PENDING)).isBetween(1L, 120000L);

        assertThat(commit("tok1", "keep", "", "", "set", "", "")).isEqualTo(1);
        assertThat(redis.hexists("t:progress:m1", "label")).as("not generated: no label").isFalse();
        assertThat(redis.get(MEMORY)).as("kept").isEqualTo("[memory]");
        assertThat(redis.exists(PENDING)).as("no rest").isFalse();

        assertThat(commit("tok1", "del", "", "", "set", "", "")).isEqualTo(1);
        assertThat(redis.exists(MEMORY)).as("forgotten").isFalse();
    }

    @Test
    void commitForAHandOutDropsOnlyTheRestTheTurnRead() {
        queue(FIRST);
        redis.set(LEASE, "tok1");
        redis.set(PENDING, "newer rest");
        assertThat(commit("tok1", "keep", "", "", "cas", "older rest", "1")).isEqualTo(1);
        assertThat(redis.get(PENDING)).isEqualTo("newer rest");

        assertThat(commit("tok1", "keep", "", "", "cas", "newer rest", "1")).isEqualTo(1);
        assertThat(redis.exists(PENDING)).isFalse();
    }

    @Test
    void commitWritesNothingWhenTheLeaseIsLost() {
        queue(FIRST);
        redis.set(LEASE, "successor");
        assertThat(commit("tok1", "set", "[memory]", "rest", "set", "", "1")).as("another holder").isZero();

        redis.del(LEASE);
        redis.del(INBOX);
        queue(SECOND);
        assertThat(commit("tok1", "set", "[memory]", "rest", "set", "", "1")).as("no longer the head").isZero();

        redis.del(INBOX);
        queue(FIRST);
        redis.hset("t:progress:m1", "answer", "decided by a successor");
        assertThat(commit("tok1", "set", "[memory]", "rest", "set", "", "1")).as("decided meanwhile").isZero();

        assertThat(redis.hget("t:progress:m1", "answer")).isEqualTo("decided by a successor");
        assertThat(redis.exists(MEMORY, PENDING, LEASE)).isZero();
    }

    @Test
    void commitTakesBackALapsedLeaseWhileTheMessageIsTheUndecidedHead() {
        queue(FIRST);

        assertThat(commit("tok1", "keep", "", "", "set", "", "")).isEqualTo(1);
        assertThat(redis.get(LEASE)).isEqualTo("tok1");
        assertThat(redis.hget("t:progress:m1", "answer")).isEqualTo("the answer");
    }

    @Test
    void sentRecordsTheAcceptedPartsWhileTheTurnOwnsTheLease() {
        redis.set(LEASE, "tok1");
        assertThat(runForLong("sent", List.of(LEASE, "t:progress:m1"), "tok1", "30000", "3", "60000")).isEqualTo(1);
        assertThat(redis.hget("t:progress:m1", "sent")).isEqualTo("3");

        redis.set(LEASE, "successor");
        assertThat(runForLong("sent", List.of(LEASE, "t:progress:m1"), "tok1", "30000", "4", "60000")).isZero();
        assertThat(redis.hget("t:progress:m1", "sent")).isEqualTo("3");
    }

    @Test
    void keepPendingReplacesTheRestAndCanEndTheDelivery() {
        List<String> keys = List.of(LEASE, PENDING, "t:progress:m1");
        redis.set(LEASE, "tok1");
        assertThat(runForLong("keep-pending", keys, "tok1", "later part", "120000", "30000", "0")).isEqualTo(1);
        assertThat(redis.get(PENDING)).isEqualTo("later part");
        assertThat(redis.hexists("t:progress:m1", "over")).isFalse();

        assertThat(runForLong("keep-pending", keys, "tok1", "", "120000", "30000", "1")).isEqualTo(1);
        assertThat(redis.exists(PENDING)).isFalse();
        assertThat(redis.hget("t:progress:m1", "over")).isEqualTo("1");

        redis.set(PENDING, "kept");
        redis.set(LEASE, "successor");
        assertThat(runForLong("keep-pending", keys, "tok1", "", "120000", "30000", "1")).isZero();
        assertThat(redis.get(PENDING)).isEqualTo("kept");
    }

    @Test
    void pauseUncountsTheStartAndGivesUpTheLeaseOnlyForItsHolder() {
        redis.hset("t:progress:m1", "attempts", "2");
        redis.set(LEASE, "successor");
        assertThat(runForLong("pause", List.of(LEASE, "t:progress:m1"), "tok1")).isZero();
        assertThat(redis.hget("t:progress:m1", "attempts")).isEqualTo("2");

        redis.set(LEASE, "tok1");
        assertThat(runForLong("pause", List.of(LEASE, "t:progress:m1"), "tok1")).isEqualTo(1);
        assertThat(redis.hget("t:progress:m1", "attempts")).isEqualTo("1");
        assertThat(redis.exists(LEASE)).isFalse();
    }

    @Test
    void orphansAreFollowersWithMessagesAndNoLeaseAndEmptyInboxesLeaveTheSet() {
        redis.sadd(INBOXES, "waiting", "answered", "done");
        redis.rpush("t:inbox:waiting", FIRST);
        redis.rpush("t:inbox:answered", FIRST);
        redis.set("t:owner:answered", "tok");

        assertThat(runForList("orphans", List.of(INBOXES), "t:owner:", "", "t:inbox:", "")).containsExactly("waiting");
        assertThat(redis.smembers(INBOXES)).containsExactlyInAnyOrder("waiting", "answered");
    }

    @Test
    void deleteIfSameDeletesOnlyTheValueItWasGiven() {
        redis.set(LEASE, "successor");
        assertThat(runForLong("delete-if-same", List.of(LEASE), "tok1")).isZero();
        assertThat(redis.get(LEASE)).isEqualTo("successor");

        assertThat(runForLong("delete-if-same", List.of(LEASE), "successor")).isEqualTo(1);
        assertThat(redis.exists(LEASE)).isFalse();
    }

    @Test
    void renewExtendsOnlyTheLeasesStillHeldByTheirTurns() {
        redis.psetex("t:owner:a", 1000, "tokA");
        redis.psetex("t:owner:b", 1000, "someone else");

        assertThat(runForLong("renew", List.of("t:owner:a", "t:owner:b", "t:owner:gone"), "30000", "tokA", "tokB",
                "tokC")).isEqualTo(1);
        assertThat(redis.pttl("t:owner:a")).isGreaterThan(1000L);
        assertThat(redis.pttl("t:owner:b")).isLessThanOrEqualTo(1000L);
        assertThat(redis.exists("t:owner:gone")).isFalse();
    }
}
