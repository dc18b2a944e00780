package io.github.oac.store;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.Follower;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Response;

/**
 * The followers with unanswered messages, kept in one set a Redis slot (Keys.waiting: each follower is in the set
 * of their own slot, so admission and claim update it in their one-slot step), and the recovery's search through
 * them for followers nobody is answering. Reading all 16,384 sets costs one pipeline of as many commands, so it is
 * done at most every chat.recovery.full-sweep (and at start-up): that finds what a crashed instance left. Between,
 * each pass reads only the sets known to hold followers and those of followers this instance dealt with since
 * (noted by admission, claim and replay), which covers what this instance itself left behind: a wake dropped by a
 * full queue, a turn given up or paused. Each account has sets of its own. Called as {@code waitingFollowers}.
 */
@Component("waitingFollowers")
public class WaitingFollowers {

    /** orphans.lua: a follower's lease is ownerAround[0] + openid + ownerAround[1], their inbox likewise. */
    record Orphans(String waiting, List<String> ownerAround, List<String> inboxAround) implements Script.Call {
        public List<String> keys() {
            return List.of(waiting);
        }

        public List<String> args() {
            return List.of(ownerAround.get(0), ownerAround.get(1), inboxAround.get(0), inboxAround.get(1));
        }
    }

    @SuppressWarnings("rawtypes")
    private static final Script<Orphans, List> ORPHANS = Script.of("orphans", List.class);

    private final StringRedisTemplate redis;
    private final Duration fullSweep;
    private final Clock clock = Clock.systemUTC();
    /** Each account's sets, read on their own: an account's followers are only ever in its own sets. */
    private final Map<String, Sweep> sweeps = new LinkedHashMap<>();

    public WaitingFollowers(StringRedisTemplate redis, Keys keys, Accounts accounts, ChatProperties properties) {
        this.redis = redis;
        Duration configured = properties.recovery().fullSweep();
        this.fullSweep = configured == null ? Duration.ofSeconds(30) : configured;
        for (String account : accounts.names()) {
            sweeps.put(account, new Sweep(keys.forAccount(account)));
        }
    }

    /** This follower may have unanswered messages: the next pass reads their set. */
    public void note(Follower follower) {
        Sweep sweep = sweeps.get(follower.account());
        if (sweep != null) {
            sweep.noted.add(sweep.keys.waitingSlot(follower.openid()));
        }
    }

    /** Followers whose inbox holds messages nobody is answering (their lease lapsed): to be woken again. */
    public synchronized List<Follower> orphans() {
        List<Follower> orphans = new ArrayList<>();
        for (Sweep sweep : sweeps.values()) {
            sweep.orphans(orphans);
        }
        return orphans;
    }

    /** Followers with unanswered messages, on every instance, as of the last pass. */
    public long count() {
        return sweeps.values().stream().flatMap(sweep -> sweep.known.values().stream()).mapToLong(Long::longValue)
                .sum();
    }

    /** The same, of one account (0 for one not configured). */
    public long count(String account) {
        Sweep sweep = sweeps.get(account);
        return sweep == null ? 0 : sweep.known.values().stream().mapToLong(Long::longValue).sum();
    }

    /** One account's sets: the slots noted since the last pass, the slots known to hold followers. */
    private final class Sweep {

        private final Keys keys;
        /** Slots of followers this instance dealt with since the last pass. */
        private final Set<Integer> noted = ConcurrentHashMap.newKeySet();
        /** Slots whose set held followers at the last reading, with how many. */
        private final Map<Integer, Long> known = new ConcurrentHashMap<>();
        private long nextFullSweep;

        Sweep(Keys keys) {
            this.keys = keys;
        }

        @SuppressWarnings("unchecked")
        void orphans(List<Follower> orphans) {
            long now = clock.millis();
            Set<Integer> slots = new TreeSet<>();
            boolean full = now >= nextFullSweep;
            if (full) {
                for (int slot = 0; slot < Keys.SLOTS; slot++) {
                    slots.add(slot);
                }
                nextFullSweep = now + fullSweep.toMillis();
            } else {
                slots.addAll(known.keySet());
            }
            for (Integer slot : List.copyOf(noted)) {
                noted.remove(slot);
                slots.add(slot);
            }
            List<Integer> read = List.copyOf(slots);
            List<Long> sizes = sizes(keys, read);
            if (full) {
                known.clear();
            }
            for (int i = 0; i < read.size(); i++) {
                if (sizes.get(i) > 0) {
                    known.put(read.get(i), sizes.get(i));
                } else {
                    known.remove(read.get(i));
                }
            }
            for (Integer slot : List.copyOf(known.keySet())) {
                List<String> found = ORPHANS.run(redis, new Orphans(keys.waitingIn(slot), keys.around(keys::owner),
                        keys.around(keys::inbox)));
                if (found != null) {
                    found.forEach(openid -> orphans.add(new Follower(keys.account(), openid)));
                }
            }
        }
    }

    /** The sizes of these slots' sets, read in one pipeline. */
    private List<Long> sizes(Keys keys, List<Integer> slots) {
        if (slots.isEmpty()) {
            return List.of();
        }
        JedisCluster cluster = Script.cluster(redis);
        if (cluster != null) {
            // a Cluster: Spring's template pipelines no cluster connection; Jedis's own pipeline splits by node
            try (ClusterPipeline pipeline = cluster.pipelined()) {
                List<Response<Long>> counts = slots.stream()
                        .map(slot -> pipeline.scard(keys.waitingIn(slot))).toList();
                pipeline.sync();
                return counts.stream().map(Response::get).toList();
            }
        }
        List<Object> sizes = redis.executePipelined((RedisCallback<Object>) connection -> {
            for (Integer slot : slots) {
                connection.setCommands().sCard(keys.waitingIn(slot).getBytes(StandardCharsets.UTF_8));
            }
            return null;
        });
        return sizes.stream().map(size -> size instanceof Long count ? count : 0L).toList();
    }
}
