package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.Follower;

/**
 * The recovery's search for followers nobody is answering, against a real Redis: a full sweep reads every slot's set
 * (what another instance left), and between sweeps only the sets known to hold followers and those noted here.
 */
class WaitingFollowersTest {

    private static EmbeddedRedis server;
    private static JedisConnectionFactory connections;
    private static StringRedisTemplate redis;
    private final Keys keys = new Keys("oac:");

    @BeforeAll
    static void start() {
        server = EmbeddedRedis.start();
        connections = new JedisConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", server.port()));
        connections.afterPropertiesSet();
        connections.start();
        redis = new StringRedisTemplate(connections);
    }

    @AfterAll
    static void stop() throws Exception {
        connections.destroy();
        server.close();
    }

    @BeforeEach
    void empty() {
        redis.execute((org.springframework.data.redis.core.RedisCallback<Object>) c -> {
            c.serverCommands().flushAll();
            return null;
        });
    }

    private WaitingFollowers waitingFollowers(Duration fullSweep) {
        return new WaitingFollowers(redis, keys, new Accounts(), new ChatProperties(null, null, null, null, null, null, null, null,
                null, null, null, new ChatProperties.Recovery(Duration.ofSeconds(10), Duration.ofHours(48), 5,
                fullSweep), null, null, null, null, null, null, null, null, null, null, null, null, null));
    }

    private static Follower follower(String openid) {
        return new Follower(Accounts.DEFAULT, openid);
    }

    /** What an instance leaves when it dies: a queued message, in the follower's waiting set, and no lease. */
    private void leftBehind(String openid) {
        redis.opsForList().rightPush(keys.inbox(openid), "{\"Key\":\"m-" + openid + "\"}");
        redis.opsForSet().add(keys.waiting(openid), openid);
    }

    @Test
    void theFirstPassReadsEverySlotAndFindsWhatAnotherInstanceLeft() {
        leftBehind("oLeftA");
        leftBehind("oLeftB");
        redis.opsForList().rightPush(keys.inbox("oAnswered"), "{\"Key\":\"m\"}");
        redis.opsForSet().add(keys.waiting("oAnswered"), "oAnswered");
        redis.opsForValue().set(keys.owner("oAnswered"), "a-live-turn");

        WaitingFollowers waiting = waitingFollowers(Duration.ofHours(1));

        assertThat(waiting.orphans()).containsExactlyInAnyOrder(follower("oLeftA"), follower("oLeftB"));
        assertThat(waiting.count()).isEqualTo(3);
    }

    @Test
    void betweenFullSweepsOnlyKnownAndNotedSetsAreRead() {
        WaitingFollowers waiting = waitingFollowers(Duration.ofHours(1));
        assertThat(waiting.orphans()).as("the first pass, a full sweep, finds nothing").isEmpty();

        leftBehind("oLater");
        assertThat(waiting.orphans()).as("not read before the next full sweep").isEmpty();

        waiting.note(follower("oLater"));
        assertThat(waiting.orphans()).as("noted by this instance").containsExactly(follower("oLater"));
        assertThat(waiting.orphans()).as("known now, read every pass while it holds followers")
                .containsExactly(follower("oLater"));

        redis.delete(keys.inbox("oLater"));
        assertThat(waiting.orphans()).as("an empty inbox leaves its set").isEmpty();
        assertThat(redis.opsForSet().isMember(keys.waiting("oLater"), "oLater")).isFalse();
        waiting.orphans();
        assertThat(waiting.count()).as("as of the last pass's reading").isZero();
    }

    @Test
    void aFullSweepComesAgainAfterItsInterval() throws InterruptedException {
        WaitingFollowers waiting = waitingFollowers(Duration.ofMillis(200));
        assertThat(waiting.orphans()).isEmpty();
        leftBehind("oLeft");
        Thread.sleep(300); // past the full-sweep interval
        assertThat(waiting.orphans()).containsExactly(follower("oLeft"));
    }
}
