package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Forgetting a follower who unfollowed (forget.lua, then forget-letters.lua): what came before the event goes, what
 * came after stays, and their dead letters keep no text.
 */
class ForgetScriptTest extends ScriptTestSupport {

    private static final List<String> KEYS = List.of("t:inboxes", "t:inbox:o1", "t:owner:o1", "t:memory:o1",
            "t:pending:o1", "t:outbox:o1", "t:rate:o1", "t:left:o1", "t:photo:o1");

    private static String message(String key, long createTime, long arrivedAt) {
        return "{\"Key\":\"" + key + "\",\"CreateTime\":\"" + createTime + "\",\"At\":" + arrivedAt
                + ",\"Content\":\"q " + key + "\"}";
    }

    private static Long forget(long createTime, long arrivedAt) {
        return runForLong("forget", KEYS, "o1", Long.toString(createTime), Long.toString(arrivedAt), "t:progress:",
                "t:reply:", "86400000");
    }

    @Test
    void whatCameBeforeTheUnsubscribeGoesAndWhatCameAfterStays() {
        redis.sadd("t:inboxes", "o1");
        redis.rpush("t:inbox:o1", message("early", 99, 99_500), message("same-second-before", 100, 100_100),
                message("same-second-after", 100, 100_900), message("later", 101, 101_000), "not json");
        for (String key : List.of("early", "same-second-before", "same-second-after", "later")) {
            redis.hset("t:progress:" + key, "attempts", "1");
            redis.hset("t:reply:" + key, "n", "1");
        }
        redis.rpush("t:outbox:o1", "{\"k\":\"owed-before\",\"reply\":\"r\",\"at\":100000}",
                "{\"k\":\"owed-after\",\"reply\":\"r\",\"at\":100800}");
        redis.hset("t:reply:owed-before", "given", "x");
        redis.set("t:owner:o1", "tok");
        redis.set("t:memory:o1", "[m]");
        redis.set("t:pending:o1", "rest");
        redis.set("t:rate:o1", "3");
        redis.set("t:photo:o1", "{\"MsgType\":\"image\"}");

        assertThat(forget(100, 100_500)).isEqualTo(4);

        assertThat(redis.lrange("t:inbox:o1", 0, -1)).containsExactly(message("same-second-after", 100, 100_900),
                message("later", 101, 101_000));
        assertThat(redis.exists("t:progress:early", "t:reply:early", "t:progress:same-second-before",
                "t:reply:same-second-before", "t:reply:owed-before")).isZero();
        assertThat(redis.exists("t:progress:later", "t:reply:later")).isEqualTo(2);
        assertThat(redis.lrange("t:outbox:o1", 0, -1)).containsExactly(
                "{\"k\":\"owed-after\",\"reply\":\"r\",\"at\":100800}");
        assertThat(redis.exists("t:owner:o1", "t:memory:o1", "t:pending:o1", "t:rate:o1", "t:photo:o1")).isZero();
        assertThat(redis.sismember("t:inboxes", "o1")).as("still has messages").isTrue();
        assertThat(redis.get("t:left:o1")).isEqualTo("100:100500");
        assertThat(redis.pttl("t:left:o1")).isBetween(1L, 86_400_000L);
    }

    @Test
    void theEventDeliveredAgainLaterTakesNothingMore() {
        forget(100, 100_500);
        redis.sadd("t:inboxes", "o1");
        redis.rpush("t:inbox:o1", message("after-following-again", 100, 100_700));

        assertThat(forget(100, 102_000)).as("the first arrival stands").isZero();
        assertThat(redis.llen("t:inbox:o1")).isEqualTo(1);
        assertThat(redis.get("t:left:o1")).isEqualTo("100:100500");
    }

    @Test
    void anEmptiedInboxLeavesTheSet() {
        redis.sadd("t:inboxes", "o1");
        redis.rpush("t:inbox:o1", message("early", 99, 99_000));
        forget(100, 100_500);
        assertThat(redis.sismember("t:inboxes", "o1")).isFalse();
    }

    @Test
    void deadLettersLoseTheirTextAndAreMarkedForgotten() {
        redis.hset("t:dead", "m1", "{\"id\":\"m1\",\"openid\":\"o1\",\"reason\":\"failed\",\"unsent\":\"answer text\","
                + "\"message\":{\"Key\":\"m1\",\"Content\":\"secret question\",\"Recognition\":\"voice\","
                + "\"Encrypt\":\"x\"}}");
        redis.hset("t:dead", "other", "{\"id\":\"other\",\"openid\":\"o2\",\"message\":{\"Content\":\"kept\"}}");
        redis.sadd("t:dead:of:o1", "m1");

        assertThat(runForLong("forget-letters", List.of("t:dead", "t:dead:of:o1"))).isEqualTo(1);
        assertThat(runForLong("forget-letters", List.of("t:dead", "t:dead:of:o1"))).as("once").isZero();

        String letter = redis.hget("t:dead", "m1");
        assertThat(letter).contains("\"forgotten\":true").contains("\"reason\":\"failed\"")
                .doesNotContain("secret question", "voice", "answer text", "Encrypt");
        assertThat(redis.hget("t:dead", "other")).contains("kept");
    }
}
