package io.github.oac.store;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

import redis.clients.jedis.util.JedisClusterCRC16;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.Follower;

/**
 * Every Redis key name the service uses, built here and nowhere else, all under chat.redis.key-prefix; what each
 * holds and for how long is listed in docs/architecture.md ("Keyspace"). Laid out for Redis Cluster: a follower's
 * keys, and those of their messages, share one hash tag, {@code {<account>:<openid>}}, so every script on them
 * touches one slot; the set of followers waiting that a follower belongs in is the one of their slot (its tag is a
 * short string that hashes to that slot); the account's own keys (dead letters, the learned delivery mode) share the
 * tag {@code {<account>}}. One instance names one account's keys: the bean is the default account's, {@link
 * #forAccount} another's.
 */
@Component
public class Keys {

    /** Redis Cluster's slots. */
    static final int SLOTS = 16384;
    /** For each slot, a short hash tag in it: "w" and the smallest number that hashes there. */
    private static final String[] SLOT_TAGS = slotTags();

    private final String prefix;
    private final String account;
    /** The other accounts' names, made once each. */
    private final Map<String, Keys> others;

    @org.springframework.beans.factory.annotation.Autowired
    public Keys(ChatProperties properties) {
        this(properties.redis().keyPrefix());
    }

    /** The default account's names under this prefix (tests that reach a service's Redis from outside it). */
    public Keys(String prefix) {
        this(prefix, Accounts.DEFAULT, new ConcurrentHashMap<>());
        others.put(account, this);
    }

    private Keys(String prefix, String account, Map<String, Keys> others) {
        this.prefix = prefix;
        this.account = account;
        this.others = others;
    }

    /** The names of this account's keys. */
    public Keys forAccount(String name) {
        Keys found = others.get(name);
        return found != null ? found : others.computeIfAbsent(name, n -> new Keys(prefix, n, others));
    }

    /** The names of this follower's account's keys. */
    public Keys of(Follower follower) {
        return forAccount(follower.account());
    }

    /** The account whose keys these are. */
    public String account() {
        return account;
    }

    private static String[] slotTags() {
        String[] tags = new String[SLOTS];
        int found = 0;
        for (int n = 0; found < SLOTS; n++) {
            String tag = "w" + n;
            int slot = JedisClusterCRC16.getSlot(tag);
            if (tags[slot] == null) {
                tags[slot] = tag;
                found++;
            }
        }
        return tags;
    }

    /** The start of every key of this follower and of their messages: the prefix and their hash tag. */
    public String follower(String openid) {
        return prefix + "{" + account + ":" + openid + "}:";
    }

    /** The start of the account's own keys. */
    private String accountKeys() {
        return prefix + "{" + account + "}:";
    }

    // ---- a follower's keys ----

    /** A follower's unanswered messages, oldest first. */
    public String inbox(String openid) {
        return follower(openid) + "inbox";
    }

    /** The lease of whoever answers that follower; holds the turn's token. */
    public String owner(String openid) {
        return follower(openid) + "lease";
    }

    public String memory(String openid) {
        return follower(openid) + "memory";
    }

    /** The follower's latest photo (its inbox entry), which their text questions are asked with for a while. */
    public String photo(String openid) {
        return follower(openid) + "photo";
    }

    /** The rest of a long answer, for the continue command. */
    public String pending(String openid) {
        return follower(openid) + "pending";
    }

    /** Answers owed to a follower that no callback has carried yet, oldest first (hybrid and passive delivery). */
    public String outbox(String openid) {
        return follower(openid) + "outbox";
    }

    /** The follower's questions this minute. */
    public String rate(String openid) {
        return follower(openid) + "rate";
    }

    /** The follower's questions and tokens on one day (yyyyMMdd in the quota's zone), and the messages counted. */
    public String quota(String openid, String day) {
        return follower(openid) + "quota:" + day;
    }

    /** When the follower last unfollowed: the event's CreateTime and first arrival. */
    public String left(String openid) {
        return follower(openid) + "left";
    }

    // ---- a message's keys (always named with its follower) ----

    /** A turn's record of one message: decided text, parts sent, attempts, the deciding turn. */
    public String progress(String openid, String msgKey) {
        return progressPrefix(openid) + msgKey;
    }

    /** progress(openid, msgKey) without the message's key, for scripts that find the key from the message. */
    public String progressPrefix(String openid) {
        return follower(openid) + "progress:";
    }

    /**
     * A message's reply slot (hybrid and passive delivery): how often WeChat delivered it, when first, what its
     * callbacks answer once decided (given), whether its own answer went out (offered), placeholder or push.
     */
    public String reply(String openid, String msgKey) {
        return replyPrefix(openid) + msgKey;
    }

    /** reply(openid, msgKey) without the message's key, for scripts that find the key in an outbox entry. */
    public String replyPrefix(String openid) {
        return follower(openid) + "reply:";
    }

    /** The message was admitted. */
    public String dedup(String openid, String msgKey) {
        return follower(openid) + "dedup:" + msgKey;
    }

    /** A dead letter was put back into the follower's inbox: the letter's deadAt, so it is never put back twice. */
    public String requeued(String openid, String msgKey) {
        return follower(openid) + "requeued:" + msgKey;
    }

    // ---- followers with unanswered messages ----

    /** The set of followers with unanswered messages that this follower belongs in (recovery reads them all). */
    public String waiting(String openid) {
        return waitingIn(waitingSlot(openid));
    }

    /** The Redis slot of this follower's keys, and of their waiting set. */
    public int waitingSlot(String openid) {
        return JedisClusterCRC16.getSlot(follower(openid));
    }

    /** The set of followers waiting whose keys are in this slot. */
    public String waitingIn(int slot) {
        return prefix + "{" + SLOT_TAGS[slot] + "}:waiting:" + account;
    }

    /** Every set waiting(openid) may name: one a slot. */
    public List<String> allWaiting() {
        List<String> all = new java.util.ArrayList<>(SLOTS);
        for (int slot = 0; slot < SLOTS; slot++) {
            all.add(waitingIn(slot));
        }
        return all;
    }

    /**
     * A follower's key of one kind split around the openid (before, after), for scripts that go through the
     * followers of a waiting set: owner("x") is before + "x" + after.
     */
    public List<String> around(java.util.function.UnaryOperator<String> kind) {
        String marked = kind.apply("\u0000");
        int at = marked.indexOf('\u0000');
        return List.of(marked.substring(0, at), marked.substring(at + 1));
    }

    // ---- the account's keys ----

    /** What the model spent on each of the account's followers that day (yyyyMMdd): OpenIDs by tokens. */
    public String usage(String day) {
        return accountKeys() + "usage:" + day;
    }

    /** Dead letters by message key (JSON). */
    public String deadLetters() {
        return accountKeys() + "dead";
    }

    /** Dead letters by the time they died (score: epoch ms), for paging and the purge. */
    public String deadLettersByTime() {
        return accountKeys() + "dead:at";
    }

    /** A follower's dead letters, which unfollowing strips. */
    public String deadLettersOf(String openid) {
        return deadLettersOfPrefix() + openid;
    }

    /** deadLettersOf(openid) without the openid, for the purge, which finds it in the letter. */
    public String deadLettersOfPrefix() {
        return accountKeys() + "dead:of:";
    }

    /** The delivery mode the account turned out to need (auto: "passive" after WeChat answered 48001). */
    public String deliveryMode() {
        return accountKeys() + "delivery";
    }

    // ---- a model provider's keys: every instance's turns share them ----

    /**
     * A model provider's limits (chat/ModelLimits): what its buckets hold, when they were filled, a Retry-After's end.
     * provider: its id, a digest of its base URL and key (never the key itself).
     */
    public String providerLimits(String provider) {
        return providerKeys(provider) + "limits";
    }

    /** The turns waiting for the provider, by their message's arrival (ms). */
    public String providerLine(String provider) {
        return providerKeys(provider) + "line";
    }

    /** When each turn in the provider's line asks again, and when it first asked. */
    public String providerTurns(String provider) {
        return providerKeys(provider) + "turns";
    }

    /** Pub/sub channel: a provider was paused ("<provider> <ms>"), so every instance stops calling it at once. */
    public String providerPausesChannel() {
        return prefix + "model-pauses";
    }

    private String providerKeys(String provider) {
        return prefix + "{model:" + provider + "}:";
    }

    /** The access token of the account with this AppID. */
    public String token(String appId) {
        return prefix + "token:" + appId;
    }

    /** A signed request was used: the digest of its body. */
    public String replay(String signature) {
        return prefix + "replay:" + signature.toLowerCase(java.util.Locale.ROOT);
    }

    /** Pub/sub channel: a message's reply is decided (its key), or the delivery mode changed ("mode"). */
    public String repliesChannel() {
        return prefix + "replies";
    }
}
