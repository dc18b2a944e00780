package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Moving an earlier release's keys (no hash tags) to today's names: migrate-follower, migrate-account, migrate-set
 * and adopt-message, branch by branch. The old names are spelled as that release wrote them.
 */
class MigrateScriptsTest extends ScriptTestSupport {

    private final Keys keys = new Keys("oac:");
    private static final String FIRST = "{\"Key\":\"m1\",\"FromUserName\":\"o1\",\"Content\":\"one\"}";
    private static final String SECOND = "{\"MsgId\":\"m2\",\"FromUserName\":\"o1\",\"Content\":\"two\"}";
    private static final String OWED = "{\"k\":\"m0\",\"reply\":\"owed\",\"rest\":\"\",\"at\":1}";

    private String migrate() {
        List<String> names = new ArrayList<>();
        for (String kind : List.of("inbox", "owner", "memory", "pending", "outbox", "rate", "left")) {
            names.add("oac:" + kind + ":o1");
        }
        names.add("oac:inboxes");
        names.addAll(List.of(keys.inbox("o1"), keys.memory("o1"), keys.pending("o1"), keys.outbox("o1"),
                keys.rate("o1"), keys.left("o1"), keys.waiting("o1"), keys.owner("o1")));
        return (String) run("migrate-follower", names, "o1", "oac:", keys.follower("o1"));
    }

    @Test
    void aFollowersKeysAndTheirMessagesKeysMoveUnderTheirTag() {
        redis.rpush("oac:inbox:o1", FIRST, SECOND);
        redis.sadd("oac:inboxes", "o1", "o2");
        redis.hset("oac:progress:m1", Map.of("answer", "decided", "sent", "1"));
        redis.hset("oac:reply:m1", "n", "2");
        redis.set("oac:dedup:m2", "1");
        redis.rpush("oac:outbox:o1", OWED);
        redis.hset("oac:reply:m0", "state", "placeholder");
        redis.psetex("oac:memory:o1", 1_800_000, "[conversation]");
        redis.set("oac:pending:o1", "the rest");
        redis.set("oac:left:o1", "100:100500");

        assertThat(migrate()).isEqualTo("moved");

        assertThat(redis.lrange(keys.inbox("o1"), 0, -1)).containsExactly(FIRST, SECOND);
        assertThat(redis.sismember(keys.waiting("o1"), "o1")).isTrue();
        assertThat(redis.smembers("oac:inboxes")).containsExactly("o2");
        assertThat(redis.hgetAll(keys.progress("o1", "m1"))).containsEntry("answer", "decided");
        assertThat(redis.hget(keys.reply("o1", "m1"), "n")).isEqualTo("2");
        assertThat(redis.get(keys.dedup("o1", "m2"))).isEqualTo("1");
        assertThat(redis.lrange(keys.outbox("o1"), 0, -1)).containsExactly(OWED);
        assertThat(redis.hget(keys.reply("o1", "m0"), "state")).isEqualTo("placeholder");
        assertThat(redis.get(keys.memory("o1"))).isEqualTo("[conversation]");
        assertThat(redis.pttl(keys.memory("o1"))).as("keeps its time to live").isBetween(1L, 1_800_000L);
        assertThat(redis.get(keys.pending("o1"))).isEqualTo("the rest");
        assertThat(redis.get(keys.left("o1"))).isEqualTo("100:100500");
        assertThat(redis.keys("oac:[a-z]*")).containsExactly("oac:inboxes");

        assertThat(migrate()).as("a second pass finds nothing").isEqualTo("moved");
        assertThat(redis.lrange(keys.inbox("o1"), 0, -1)).containsExactly(FIRST, SECOND);
    }

    @Test
    void oldMessagesGoBeforeOnesANewInstanceQueuedAndNewerStateWins() {
        redis.rpush("oac:inbox:o1", FIRST);
        redis.rpush(keys.inbox("o1"), SECOND);
        redis.set("oac:memory:o1", "[old conversation]");
        redis.set(keys.memory("o1"), "[new conversation]");

        assertThat(migrate()).isEqualTo("moved");

        assertThat(redis.lrange(keys.inbox("o1"), 0, -1)).containsExactly(FIRST, SECOND);
        assertThat(redis.get(keys.memory("o1"))).isEqualTo("[new conversation]");
        assertThat(redis.exists("oac:inbox:o1", "oac:memory:o1")).isZero();
    }

    @Test
    void aFollowerWithATurnInProgressWaitsForTheNextPass() {
        redis.rpush("oac:inbox:o1", FIRST);
        redis.set("oac:owner:o1", "old-turn");
        assertThat(migrate()).as("an old instance's turn").isEqualTo("busy");

        redis.del("oac:owner:o1");
        redis.rpush(keys.inbox("o1"), SECOND);
        redis.set(keys.owner("o1"), "new-turn");
        assertThat(migrate()).as("a new instance's turn, answering the new inbox's head").isEqualTo("busy");
        assertThat(redis.lrange("oac:inbox:o1", 0, -1)).containsExactly(FIRST);
        assertThat(redis.lrange(keys.inbox("o1"), 0, -1)).containsExactly(SECOND);

        redis.del(keys.owner("o1"));
        assertThat(migrate()).isEqualTo("moved");
        assertThat(redis.lrange(keys.inbox("o1"), 0, -1)).containsExactly(FIRST, SECOND);
    }

    private Long migrateAccount() {
        return runForLong("migrate-account", List.of("oac:dead", "oac:dead:at", "oac:delivery", keys.deadLetters(),
                keys.deadLettersByTime(), keys.deliveryMode()));
    }

    @Test
    void theAccountsDeadLettersAndDeliveryModeMove() {
        redis.hset("oac:dead", Map.of("m1", "{old m1}", "m2", "{old m2}"));
        redis.zadd("oac:dead:at", 1000, "m1");
        redis.zadd("oac:dead:at", 2000, "m2");
        redis.set("oac:delivery", "passive");

        assertThat(migrateAccount()).isEqualTo(2);
        assertThat(redis.hgetAll(keys.deadLetters())).containsOnlyKeys("m1", "m2");
        assertThat(redis.zrange(keys.deadLettersByTime(), 0, -1)).containsExactly("m1", "m2");
        assertThat(redis.get(keys.deliveryMode())).isEqualTo("passive");
        assertThat(redis.exists("oac:dead", "oac:dead:at", "oac:delivery")).isZero();
        assertThat(migrateAccount()).as("nothing left").isZero();
    }

    @Test
    void lettersANewInstanceRecordedMeanwhileWin() {
        redis.hset("oac:dead", Map.of("m1", "{old m1}", "m2", "{old m2}"));
        redis.zadd("oac:dead:at", 1000, "m1");
        redis.hset(keys.deadLetters(), "m1", "{new m1}");
        redis.zadd(keys.deadLettersByTime(), 5000, "m1");

        assertThat(migrateAccount()).isEqualTo(1);
        assertThat(redis.hget(keys.deadLetters(), "m1")).isEqualTo("{new m1}");
        assertThat(redis.hget(keys.deadLetters(), "m2")).isEqualTo("{old m2}");
        assertThat(redis.zscore(keys.deadLettersByTime(), "m1")).isEqualTo(5000.0);
    }

    @Test
    void aFollowersDeadLetterSetJoinsItsNewName() {
        redis.sadd("oac:dead:of:o1", "m1", "m2");
        redis.sadd(keys.deadLettersOf("o1"), "m3");
        assertThat(runForLong("migrate-set", List.of("oac:dead:of:o1", keys.deadLettersOf("o1")))).isEqualTo(3);
        assertThat(redis.exists("oac:dead:of:o1")).isFalse();
    }

    @Test
    void aMessagesOldDedupAndReplySlotAreAdoptedUnderItsFollower() {
        redis.setex("oac:dedup:m9", 300, "1");
        redis.hset("oac:reply:m9", "given", "the reply");
        List<String> names = List.of("oac:dedup:m9", "oac:reply:m9", keys.dedup("o1", "m9"), keys.reply("o1", "m9"));

        assertThat(runForLong("adopt-message", names)).isEqualTo(2);
        assertThat(redis.ttl(keys.dedup("o1", "m9"))).isBetween(1L, 300L);
        assertThat(redis.hget(keys.reply("o1", "m9"), "given")).isEqualTo("the reply");
        assertThat(runForLong("adopt-message", names)).as("once").isZero();
    }
}
