package io.github.oac.store;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.Follower;
import io.github.oac.wechat.Openids;

/**
 * Data written by a release whose keys had no hash tags ({@code oac:inbox:<openid>}, {@code oac:progress:<MsgId>},
 * {@code oac:dead}, ...), moved to today's names (Keys), so an upgrade loses nothing: questions accepted and in
 * flight, the progress of a split answer, answers owed to a follower, the rest kept for 继续, conversations, dead
 * letters and the learned delivery mode. Those releases ran on a single Redis server only, which is the only place
 * old names can be found, and where a script may touch keys of several slots.
 * <p>
 * {@link #migrate} runs at start-up and on every recovery tick until a pass finds nothing old (an old instance still
 * running during a rolling upgrade keeps writing old names; a follower with a turn in progress, old or new, waits for
 * the next pass). Each follower moves in one atomic step, so the pass is safe with several instances at once and resumes
 * where a crash left it. A message answered just before the upgrade left its inbox, so its de-duplication record and
 * reply slot cannot be tied to a follower here: for a de-duplication period after old names were last found,
 * Admission adopts them message by message ({@link #adopt}), so WeChat delivering it again is still recognised.
 * Called as {@code legacyKeys}.
 */
@Component("legacyKeys")
public class LegacyKeys {

    private static final Logger LOG = LoggerFactory.getLogger(LegacyKeys.class);

    /** migrate-follower.lua. */
    record MigrateFollower(List<String> keys, String openid, String oldPrefix, String newStart)
            implements Script.Call {
        public List<String> args() {
            return List.of(openid, oldPrefix, newStart);
        }
    }

    /** migrate-account.lua. */
    record MigrateAccount(List<String> keys) implements Script.Call {
        public List<String> args() {
            return List.of();
        }
    }

    /** migrate-set.lua. */
    record MigrateSet(String from, String to) implements Script.Call {
        public List<String> keys() {
            return List.of(from, to);
        }

        public List<String> args() {
            return List.of();
        }
    }

    /** adopt-message.lua. */
    record AdoptMessage(String oldDedup, String oldReply, String dedup, String reply) implements Script.Call {
        public List<String> keys() {
            return List.of(oldDedup, oldReply, dedup, reply);
        }

        public List<String> args() {
            return List.of();
        }
    }

    private static final Script<MigrateFollower, String> MIGRATE_FOLLOWER = Script.of("migrate-follower",
            String.class);
    private static final Script<MigrateAccount, Long> MIGRATE_ACCOUNT = Script.of("migrate-account", Long.class);
    private static final Script<MigrateSet, Long> MIGRATE_SET = Script.of("migrate-set", Long.class);
    private static final Script<AdoptMessage, Long> ADOPT_MESSAGE = Script.of("adopt-message", Long.class);

    /** The kinds of old per-follower keys, {@code <prefix><kind>:<openid>}. */
    private static final List<String> FOLLOWER_KINDS = List.of("inbox", "owner", "memory", "pending", "outbox",
            "rate", "left");

    private final StringRedisTemplate redis;
    private final Keys keys;
    private final String prefix;
    private final Duration adoptFor;
    private final Clock clock = Clock.systemUTC();
    /** Until when callbacks look for old message keys (epoch ms); 0: no old names were found. */
    private volatile long adoptUntil;
    /** A pass found nothing old: later passes are skipped. */
    private volatile boolean done;

    public LegacyKeys(StringRedisTemplate redis, Keys keys, ChatProperties properties) {
        this.redis = redis;
        this.keys = keys;
        this.prefix = properties.redis().keyPrefix();
        Duration replay = properties.callback().timestampWindow().multipliedBy(2);
        Duration dedup = properties.callback().dedupTtl();
        this.adoptFor = dedup.compareTo(replay) > 0 ? dedup : replay;
        // the releases with old names ran on a single server only: a Cluster never holds any
        this.done = Script.cluster(redis) != null;
        migrate();
    }

    /**
     * Moves whatever old names are left (see the class); returns how many followers moved. Cheap once a pass found
     * nothing: it is not repeated. A Redis error leaves the rest for the next pass.
     */
    public synchronized int migrate() {
        if (done) {
            return 0;
        }
        try {
            return pass();
        } catch (RuntimeException redisDown) {
            LOG.warn("Moving keys of an earlier release to their new names stopped ({}); the next recovery pass goes "
                    + "on", redisDown.getMessage());
            return 0;
        }
    }

    private int pass() {
        Set<String> followers = new LinkedHashSet<>();
        Set<String> letterSets = new LinkedHashSet<>();
        boolean messageKeys = false;
        boolean accountKeys = false;
        // old names start with a lower-case word after the prefix; today's start with a brace
        try (Cursor<String> scan = redis.scan(ScanOptions.scanOptions().match(prefix + "[a-z]*").count(1000)
                .build())) {
            while (scan.hasNext()) {
                String key = scan.next();
                String rest = key.substring(prefix.length());
                int colon = rest.indexOf(':');
                String kind = colon < 0 ? rest : rest.substring(0, colon);
                String id = colon < 0 ? "" : rest.substring(colon + 1);
                if (FOLLOWER_KINDS.contains(kind) && !id.isEmpty()) {
                    followers.add(id);
                } else if (kind.equals("inboxes")) {
                    followers.addAll(redis.opsForSet().members(key));
                } else if (kind.equals("dead") && id.startsWith("of:")) {
                    letterSets.add(id.substring("of:".length()));
                } else if (kind.equals("dead") || kind.equals("delivery")) {
                    accountKeys = true;
                } else if (kind.equals("dedup") || kind.equals("reply") || kind.equals("progress")) {
                    messageKeys = true;
                }
            }
        }
        if (followers.isEmpty() && letterSets.isEmpty() && !accountKeys && !messageKeys) {
            done = true;
            return 0;
        }
        adoptUntil = clock.millis() + adoptFor.toMillis();
        if (accountKeys) {
            Long letters = MIGRATE_ACCOUNT.run(redis, new MigrateAccount(List.of(prefix + "dead", prefix + "dead:at",
                    prefix + "delivery", keys.deadLetters(), keys.deadLettersByTime(), keys.deliveryMode())));
            LOG.info("Moved the dead letters ({}) and the delivery mode of an earlier release to their new names",
                    letters);
        }
        for (String openid : letterSets) {
            MIGRATE_SET.run(redis, new MigrateSet(prefix + "dead:of:" + openid, keys.deadLettersOf(openid)));
        }
        int moved = 0;
        int busy = 0;
        for (String openid : followers) {
            String result = MIGRATE_FOLLOWER.run(redis, new MigrateFollower(List.of(
                    old("inbox", openid), old("owner", openid), old("memory", openid), old("pending", openid),
                    old("outbox", openid), old("rate", openid), old("left", openid), prefix + "inboxes",
                    keys.inbox(openid), keys.memory(openid), keys.pending(openid), keys.outbox(openid),
                    keys.rate(openid), keys.left(openid), keys.waiting(openid), keys.owner(openid)),
                    openid, prefix, keys.follower(openid)));
            if ("busy".equals(result)) {
                busy++;
                LOG.info("{} is being answered right now; their keys of an earlier release move on a later pass",
                        Openids.masked(openid));
            } else {
                moved++;
            }
        }
        if (moved > 0 || busy > 0) {
            LOG.info("Moved the keys of {} followers written by an earlier release to their new names ({} left for a "
                    + "later pass)", moved, busy);
        }
        return moved;
    }

    /**
     * For a while after old names were last found: this message's de-duplication record and reply slot, if an
     * earlier release wrote them, move under its follower. Returns whether anything moved. Those releases had one
     * account: the default one.
     */
    public boolean adopt(Follower follower, String msgKey) {
        if (adoptUntil == 0 || clock.millis() > adoptUntil || !keys.account().equals(follower.account())) {
            return false;
        }
        Long moved = ADOPT_MESSAGE.run(redis, new AdoptMessage(prefix + "dedup:" + msgKey, prefix + "reply:" + msgKey,
                keys.dedup(follower.openid(), msgKey), keys.reply(follower.openid(), msgKey)));
        return moved != null && moved > 0;
    }

    private String old(String kind, String openid) {
        return prefix + kind + ":" + openid;
    }
}
