package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import redis.clients.jedis.util.JedisClusterCRC16;

/** The keyspace fits Redis Cluster: a follower's keys share one slot, and so do the account's. */
class KeysTest {

    private final Keys keys = new Keys("oac:");

    @Test
    void everyKeyOfAFollowerAndTheirMessagesIsInOneSlotWithTheirWaitingSet() {
        for (String openid : List.of("oA1b2C3d4E5f6G7h8I9j0K1l2M3n", "o{weird}id", "x")) {
            List<String> theirs = List.of(keys.inbox(openid), keys.owner(openid), keys.memory(openid),
                    keys.pending(openid), keys.outbox(openid), keys.rate(openid), keys.left(openid),
                    keys.progress(openid, "123456"), keys.reply(openid, "123456"), keys.dedup(openid, "123456"),
                    keys.requeued(openid, "123456"), keys.progressPrefix(openid) + "x",
                    keys.replyPrefix(openid) + "y", keys.waiting(openid));
            Set<Integer> slots = new HashSet<>();
            theirs.forEach(key -> slots.add(JedisClusterCRC16.getSlot(key)));
            assertThat(slots).as(openid + ": " + theirs).hasSize(1);
        }
    }

    @Test
    void twoFollowersHaveTheirOwnTags() {
        assertThat(keys.inbox("a")).isEqualTo("oac:{default:a}:inbox");
        assertThat(keys.inbox("b")).isEqualTo("oac:{default:b}:inbox");
    }

    @Test
    void anotherAccountsFollowerWithTheSameOpenidHasKeysOfTheirOwn() {
        Keys shop = keys.forAccount("shop");
        assertThat(shop.inbox("a")).isEqualTo("oac:{shop:a}:inbox");
        assertThat(shop.dedup("a", "42")).isNotEqualTo(keys.dedup("a", "42"));
        assertThat(shop.deadLetters()).isEqualTo("oac:{shop}:dead");
        assertThat(shop.waitingIn(7)).isNotEqualTo(keys.waitingIn(7)).endsWith(":waiting:shop");
        assertThat(keys.of(new io.github.oac.wechat.Follower("shop", "a")).inbox("a")).isEqualTo(shop.inbox("a"));
        assertThat(shop.forAccount("default")).as("the same names, made once").isSameAs(keys);
        assertThat(shop.account()).isEqualTo("shop");
    }

    @Test
    void theAccountsKeysShareOneSlot() {
        Set<Integer> slots = new HashSet<>();
        List.of(keys.deadLetters(), keys.deadLettersByTime(), keys.deadLettersOf("o1"), keys.deadLettersOfPrefix(),
                keys.deliveryMode()).forEach(key -> slots.add(JedisClusterCRC16.getSlot(key)));
        assertThat(slots).hasSize(1);
    }

    @Test
    void thereIsOneWaitingSetASlotAndEachIsInItsSlot() {
        List<String> all = keys.allWaiting();
        assertThat(all).hasSize(Keys.SLOTS).doesNotHaveDuplicates();
        for (int slot = 0; slot < Keys.SLOTS; slot++) {
            assertThat(JedisClusterCRC16.getSlot(all.get(slot))).isEqualTo(slot);
        }
    }

    @Test
    void aKeySplitAroundTheOpenidGivesItBack() {
        List<String> around = keys.around(keys::owner);
        assertThat(around.get(0) + "o1" + around.get(1)).isEqualTo(keys.owner("o1"));
    }
}
