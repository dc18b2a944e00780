package io.github.oac.store;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.Follower;
import io.github.oac.wechat.InboundMessage;

/**
 * Accepted messages that could not be answered, kept with the reason in the Redis hash {@code oac:dead} (msgKey →
 * JSON) until an operator replays them or they are older than chat.dead-letters.retention: too old for WeChat's
 * 48-hour window, failed on every attempt, or refused by WeChat for good. {@code oac:dead:at} indexes them by the
 * time they died (score: epoch ms, member: msgKey), for paging oldest first and for the purge. Replaying puts the
 * message back at the end of its follower's inbox. Called as {@code deadLetters}.
 */
@Component("deadLetters")
public class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;
    /** Letters replayAll reads per step, so replaying thousands never holds them all in memory or Redis busy. */
    private static final int REPLAY_BATCH = 100;

    /** dead-letter.lua. */
    record Record(String letters, String byTime, String followersLetters, String id, String letter, String deadAt)
            implements Script.Call {
        public List<String> keys() {
            return List.of(letters, byTime, followersLetters);
        }

        public List<String> args() {
            return List.of(id, letter, deadAt);
        }
    }

    /** requeue.lua. */
    record Requeue(String inbox, String waiting, String progress, String marker, String entry, String openid,
                   String deadAt, String markerTtl) implements Script.Call {
        public List<String> keys() {
            return List.of(inbox, waiting, progress, marker);
        }

        public List<String> args() {
            return List.of(entry, openid, deadAt, markerTtl);
        }
    }

    /** drop-letter.lua. */
    record DropLetter(String letters, String byTime, String followersLetters, String id, String deadAt)
            implements Script.Call {
        public List<String> keys() {
            return List.of(letters, byTime, followersLetters);
        }

        public List<String> args() {
            return List.of(id, deadAt);
        }
    }

    /** purge.lua. */
    record Purge(String letters, String byTime, String cutoff, String batch, String followersLettersPrefix)
            implements Script.Call {
        public List<String> keys() {
            return List.of(letters, byTime);
        }

        public List<String> args() {
            return List.of(cutoff, batch, followersLettersPrefix);
        }
    }

    /** page.lua: afterId "" from the start. */
    record PageCall(String letters, String byTime, String afterScore, String afterId, String want)
            implements Script.Call {
        public List<String> keys() {
            return List.of(letters, byTime);
        }

        public List<String> args() {
            return List.of(afterScore, afterId, want);
        }
    }

    private static final Script<Record, Long> RECORD = Script.of("dead-letter", Long.class);
    private static final Script<Requeue, Long> REQUEUE = Script.of("requeue", Long.class);
    private static final Script<DropLetter, Long> DROP_LETTER = Script.of("drop-letter", Long.class);
    private static final Script<Purge, Long> PURGE = Script.of("purge", Long.class);
    @SuppressWarnings("rawtypes")
    private static final Script<PageCall, List> PAGE = Script.of("page", List.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final ApplicationEventPublisher events;
    private final Keys keys;
    private final WaitingFollowers waitingFollowers;
    private final Accounts accounts;
    private final ReplicaAcks replicaAcks;
    private final Duration leaseTtl;
    private final Duration maxAge;
    private final int maxAttempts;
    private final Duration retention;
    private final int purgeBatch;
    private final Clock clock;

    public DeadLetters(StringRedisTemplate redis, ObjectMapper json, ApplicationEventPublisher events, Keys keys,
                       WaitingFollowers waitingFollowers, Accounts accounts, ReplicaAcks replicaAcks,
                       ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.events = events;
        this.keys = keys;
        this.waitingFollowers = waitingFollowers;
        this.accounts = accounts;
        // the turn that records a letter ends its message: the letter must outlive a failover of the account's keys
        this.leaseTtl = properties.queue().leaseTtl();
        this.replicaAcks = replicaAcks.patient(leaseTtl);
        this.maxAge = properties.recovery().maxAge();
        this.maxAttempts = properties.recovery().maxAttempts();
        this.retention = properties.deadLetters().retention();
        this.purgeBatch = properties.deadLetters().purgeBatch();
        this.clock = Clock.systemUTC();
    }

    /** Announced when a message became a dead letter (ops counts them). */
    public record Recorded(String account, String reason) {
    }

    /** Announced when the purge deleted an account's letters that outlived their retention. */
    public record Purged(String account, long count) {
    }

    /** One page of {@code GET /admin/dead-letters}; next is null on the last page. */
    public record Page(List<JsonNode> letters, String next) {
    }

    /** An operator named an account this service does not have (?account=): 400, without repeating the name. */
    public static class UnknownAccount extends BadPage {
        public UnknownAccount() {
            super("no such account");
        }
    }

    /** The names of an account's keys, for an operator's ?account= (null or empty: the default account). */
    private Keys keysOf(String account) {
        String name = account == null || account.isBlank() ? Accounts.DEFAULT : account.strip();
        if (!accounts.names().contains(name)) {
            throw new UnknownAccount();
        }
        return keys.forAccount(name);
    }

    /** An operator's request (a page of letters, a follower's quota) could not be understood: 400. */
    public static class BadPage extends IllegalArgumentException {
        /** message: a fixed sentence of the service's, never the operator's input (it is answered as it is). */
        public BadPage(String message) {
            super(message, null);
        }
    }

    /** Why this message's turn should not run again (too old, or started too often), or null to go ahead. */
    public String reasonToGiveUp(InboundMessage message, long attempt) {
        long created = parseLong(message.createTime());
        if (created > 0 && Instant.ofEpochSecond(created).plus(maxAge).isBefore(clock.instant())) {
            return "older than " + maxAge.toHours() + " h, past WeChat's window for customer-service messages";
        }
        if (attempt > maxAttempts) {
            return "its answer failed on " + (attempt - 1) + " attempts";
        }
        return null;
    }

    /**
     * The follower's message is a dead letter of their account's, with why, and the text not sent (or null). Written
     * to the replicas too, and tried again while a turn's lease would last: the account's keys may be on another
     * Redis primary than the follower's (a Cluster), and the turn ends the message only once its letter is kept.
     */
    public void record(Follower follower, InboundMessage message, String reason, String unsentText)
            throws JsonProcessingException {
        Keys keys = this.keys.of(follower);
        Instant now = clock.instant();
        Map<String, Object> letter = new LinkedHashMap<>();
        letter.put("id", message.key());
        letter.put("account", follower.account());
        letter.put("openid", message.fromUserName());
        letter.put("reason", reason);
        letter.put("deadAt", now.toString());
        letter.put("unsent", unsentText);
        letter.put("message", message);
        Record call = new Record(keys.deadLetters(), keys.deadLettersByTime(),
                keys.deadLettersOf(message.fromUserName()), message.key(), json.writeValueAsString(letter),
                Long.toString(now.toEpochMilli()));
        WhileLeaseLasts.retry(leaseTtl, "keeping a dead letter", () -> RECORD.run(redis, call, replicaAcks));
        events.publishEvent(new Recorded(follower.account(), reason));
        LOG.warn("Message {} from {} is now a dead letter: {}", message.key(), follower.masked(), reason);
    }

    /**
     * A message whose delivery a turn ended (its progress says so) leaves the inbox with a dead letter: the letter
     * again when the turn that ended it stopped before its letter was kept.
     */
    public void recordIfMissing(Follower follower, InboundMessage message) throws JsonProcessingException {
        if (!redis.opsForHash().hasKey(keys.of(follower).deadLetters(), message.key())) {
            record(follower, message, "its delivery had ended; the turn that ended it stopped before recording why",
                    null);
        }
    }

    /**
     * Letters oldest first, {@code limit} (1 to 500, default 50) at a time. {@code cursor} is the {@code next} of the
     * previous page: the position of its last letter, so letters replayed, purged or added meanwhile neither shift
     * the pages nor make one repeat or skip a letter that stays.
     */
    public Page page(@Header("account") String account, @Header("limit") String limit,
                     @Header("cursor") String cursor) throws JsonProcessingException {
        Keys keys = keysOf(account);
        int size = parseLimit(limit);
        Position after = cursor == null || cursor.isBlank() ? null : Position.decode(cursor);
        List<Entry> entries = entriesAfter(keys, after, size + 1);
        List<JsonNode> letters = new ArrayList<>();
        for (Entry entry : entries.subList(0, Math.min(size, entries.size()))) {
            if (entry.letter() != null) {
                letters.add(json.readTree(entry.letter()));
            }
        }
        String next = entries.size() > size ? entries.get(size - 1).position().encode() : null;
        return new Page(letters, next);
    }

    /** How many dead letters the account keeps (?account=; an unknown name is refused). */
    public long count(String account) {
        Long letters = redis.opsForHash().size(keysOf(account).deadLetters());
        return letters == null ? 0 : letters;
    }

    /** How many dead letters are kept, in every account. */
    public long count() {
        long count = 0;
        for (String account : accounts.names()) {
            Long letters = redis.opsForHash().size(keys.forAccount(account).deadLetters());
            count += letters == null ? 0 : letters;
        }
        return count;
    }

    /**
     * Puts the message back into its follower's inbox; returns the follower to wake, or null if no such letter. Two
     * steps, as the letter is the account's and the inbox the follower's: the message is queued once per letter
     * (requeue keeps the letter's deadAt), then the letter goes unless the message died again meanwhile; a replay
     * cut off between them, or two at once, neither loses the message nor queues it twice.
     */
    public Follower replay(String account, String id) throws JsonProcessingException {
        Keys keys = keysOf(account);
        String key = keys.deadLetters();
        Object stored = redis.opsForHash().get(key, id);
        if (stored == null) {
            return null;
        }
        JsonNode letter = json.readTree(stored.toString());
        if (letter.path("forgotten").asBoolean()) {
            return null; // the follower unfollowed: nothing of their question is left to answer
        }
        String openid = letter.path("openid").asText();
        String deadAt = letter.path("deadAt").asText("");
        Long queued = REQUEUE.run(redis, new Requeue(keys.inbox(openid), keys.waiting(openid),
                keys.progress(openid, id), keys.requeued(openid, id), json.writeValueAsString(letter.path("message")),
                openid, deadAt, Script.millis(retention)));
        Follower follower = new Follower(keys.account(), openid);
        waitingFollowers.note(follower);
        Long dropped = DROP_LETTER.run(redis, new DropLetter(key, keys.deadLettersByTime(),
                keys.deadLettersOf(openid), id, deadAt));
        return queued != null && queued == 1 || dropped != null && dropped == 1 ? follower : null;
    }

    /**
     * Replays every letter that was dead when the call began, page by page; returns the followers to wake. A letter
     * that dies again while this runs is new, and is left for the next call rather than replayed over and over.
     */
    public List<Follower> replayAll(String account) throws JsonProcessingException {
        Keys keys = keysOf(account);
        long began = clock.millis();
        List<Follower> openids = new ArrayList<>();
        Position after = null;
        while (true) {
            List<Entry> entries = entriesAfter(keys, after, REPLAY_BATCH);
            for (Entry entry : entries) {
                if (entry.position().score() > began) {
                    return openids;
                }
                Follower openid = replay(keys.account(), entry.position().id());
                if (openid != null && !openids.contains(openid)) {
                    openids.add(openid);
                }
            }
            if (entries.size() < REPLAY_BATCH) {
                return openids;
            }
            after = entries.get(entries.size() - 1).position();
        }
    }

    /**
     * Deletes letters older than chat.dead-letters.retention, oldest first, at most chat.dead-letters.purge-batch
     * per call (the recovery timer calls it every chat.recovery.interval); returns how many went.
     */
    public long purge() {
        long count = 0;
        for (String account : accounts.names()) {
            Keys keys = this.keys.forAccount(account);
            indexUnindexed(keys);
            long cutoff = clock.millis() - retention.toMillis();
            Long purged = PURGE.run(redis, new Purge(keys.deadLetters(), keys.deadLettersByTime(),
                    Long.toString(cutoff), Integer.toString(purgeBatch), keys.deadLettersOfPrefix()));
            count += purged == null ? 0 : purged;
            if (purged != null && purged > 0) {
                events.publishEvent(new Purged(account, purged));
            }
        }
        if (count > 0) {
            LOG.info("Purged {} dead letters older than {}", count, retention);
        }
        return count;
    }

    /** Letters written before the index existed get their entry (by their deadAt), so they page and purge too. */
    private void indexUnindexed(Keys keys) {
        String key = keys.deadLetters();
        String index = keys.deadLettersByTime();
        Long letters = redis.opsForHash().size(key);
        Long indexed = redis.opsForZSet().zCard(index);
        if (letters == null || indexed == null || letters <= indexed) {
            return;
        }
        try (Cursor<Map.Entry<Object, Object>> scan = redis.opsForHash().scan(key,
                ScanOptions.scanOptions().count(500).build())) {
            while (scan.hasNext()) {
                Map.Entry<Object, Object> letter = scan.next();
                redis.opsForZSet().addIfAbsent(index, letter.getKey().toString(), deadAt(letter.getValue()));
            }
        }
    }

    private double deadAt(Object letter) {
        try {
            return Instant.parse(json.readTree(letter.toString()).path("deadAt").asText()).toEpochMilli();
        } catch (JsonProcessingException | DateTimeParseException unreadable) {
            return clock.millis(); // kept for a whole retention from now
        }
    }

    @SuppressWarnings("unchecked")
    private List<Entry> entriesAfter(Keys keys, Position after, int want) {
        List<Object> flat = PAGE.run(redis, new PageCall(keys.deadLetters(), keys.deadLettersByTime(),
                after == null ? "0" : Long.toString(after.score()), after == null ? "" : after.id(),
                Integer.toString(want)));
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; flat != null && i + 2 < flat.size(); i += 3) {
            Object letter = flat.get(i + 2);
            entries.add(new Entry(new Position((long) Double.parseDouble(flat.get(i + 1).toString()),
                    flat.get(i).toString()), letter == null ? null : letter.toString()));
        }
        return entries;
    }

    private static int parseLimit(String limit) {
        if (limit == null || limit.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int size = Integer.parseInt(limit.strip());
            if (size >= 1 && size <= MAX_LIMIT) {
                return size;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new BadPage("limit must be a whole number from 1 to " + MAX_LIMIT);
    }

    private record Entry(Position position, String letter) {
    }

    /** Where a letter sits in oac:dead:at; as a cursor it is opaque: base64url of "score:id". */
    private record Position(long score, String id) {

        String encode() {
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString((score + ":" + id).getBytes(StandardCharsets.UTF_8));
        }

        static Position decode(String cursor) {
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(cursor.strip()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                long score = Long.parseLong(decoded.substring(0, Math.max(colon, 0)));
                String id = decoded.substring(colon + 1);
                if (colon > 0 && score >= 0 && !id.isEmpty()) {
                    return new Position(score, id);
                }
            } catch (IllegalArgumentException e) {
                // not base64, or no number before the colon: refused below
            }
            throw new BadPage("cursor is not one this endpoint gave out");
        }
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value == null ? "" : value.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
