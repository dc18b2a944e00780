package io.github.oac.store;

import java.time.Duration;
import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;

/**
 * Answers that go back inside the reply to a WeChat callback (hybrid and passive delivery), in Redis so that any
 * instance can hand them out and a restart loses none.
 * <p>
 * Each message has a reply slot ({@code oac:reply:<msgKey>}): how often WeChat delivered it and when first, the text
 * its callbacks answer once that is decided ({@code given}: a re-delivery gets the same), and {@code state}: push
 * (hybrid: its callbacks gave up waiting, the answer goes by customer-service message) or placeholder (passive: the
 * last delivery got the thinking placeholder). A turn offers its answer as an entry of the follower's outbox
 * ({@code oac:outbox:<openid>}: message key, the reply, the rest for the continue command); a callback of that message
 * takes it. An entry whose message's callbacks are over (given to another, placeholder, push, or older than
 * chat.delivery.retry-window) is owed to the follower's next message of any kind, which picks it up in its admission.
 * Every hand-out is one atomic step, so a part is never given to two messages, nor pushed as well.
 */
@Component
public class Outbox {

    /** What a callback answers: the reply text, or how it answers without one. */
    public record Handout(String path, String text, long holdMillis, long receivedAt, String entry) {

        public Handout(String path, String text, long holdMillis, long receivedAt) {
            this(path, text, holdMillis, receivedAt, null);
        }

        public static final String PASSIVE = "passive";
        public static final String PICKUP = "pickup";
        public static final String PLACEHOLDER = "placeholder";
        public static final String PUSH = "push";
        public static final String HOLD = "hold";
        /** The reply a delivery of the same message already got, once more (WeChat did not get it): not counted. */
        public static final String REPEAT = "repeat";
        /** An answer taken too late for this delivery to carry it, and given back: not a delivery. */
        public static final String LATE = "late";
    }

    /** What became of a turn's offer: in the outbox, to be pushed instead, or the turn lost its lease. */
    public enum Offer { OFFERED, PUSH, LOST }

    // Shared by the scripts below and Admission's. Milliseconds from Redis's own clock, the same for every instance.
    static final String SLOT_FUNCTIONS = """
            local function now_ms()
              local t = redis.call('TIME'); return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            -- no callback of this message waits for its answer any more: it may go to any later message
            local function closed(slot, window)
              local s = redis.call('HMGET', slot, 't', 'given', 'state')
              if not s[1] or s[2] or s[3] then return true end
              return now_ms() - tonumber(s[1]) > tonumber(window)
            end
            -- the entry leaves the outbox: its reply is given to the slot's message, its rest kept for continue;
            -- returns the reply, when the answered question's callback arrived, and the entry as it was (to put back)
            local function give(outbox, raw, entry, slot, slot_ttl, pending, pending_ttl, suffix, max_bytes)
              redis.call('LREM', outbox, 1, raw)
              if entry.rest and entry.rest ~= '' then
                redis.call('SET', pending, entry.rest, 'PX', pending_ttl)
              else
                redis.call('DEL', pending)
              end
              local reply = entry.reply
              if suffix ~= '' and #reply + #suffix <= tonumber(max_bytes) then reply = reply .. suffix end
              redis.call('HSET', slot, 'given', reply); redis.call('PEXPIRE', slot, slot_ttl)
              return reply, tostring(entry.at or 0), raw
            end
            -- the oldest owed answer whose own callbacks are over, given to this message; '' when none
            local function pickup(outbox, slot_prefix, window, slot, slot_ttl, pending, pending_ttl, suffix, max_bytes)
              for _, raw in ipairs(redis.call('LRANGE', outbox, 0, -1)) do
                local entry = cjson.decode(raw)
                if closed(slot_prefix .. entry.k, window) then
                  return give(outbox, raw, entry, slot, slot_ttl, pending, pending_ttl, suffix, max_bytes)
                end
              end
              return '', '0', ''
            end
            -- what this message's callbacks answer, if decided: {path, text, arrival of the answered callback, entry};
            -- may_take '0': too late for this delivery to carry it (WeChat gave up on it), so it stays owed
            local function take(slot, outbox, key, slot_ttl, pending, pending_ttl, may_take)
              local s = redis.call('HMGET', slot, 'given', 'state')
              if s[1] then return {'repeat', s[1]} end
              for _, raw in ipairs(may_take == '0' and {} or redis.call('LRANGE', outbox, 0, -1)) do
                local entry = cjson.decode(raw)
                if entry.k == key then
                  local reply, at, given = give(outbox, raw, entry, slot, slot_ttl, pending, pending_ttl, '', 0)
                  return {'passive', reply, at, given}
                end
              end
              if s[2] == 'push' then return {'push'} end
              return nil
            end
            """;

    private static final RedisScript<List> TAKE = RedisScript.of(SLOT_FUNCTIONS + """
            return take(KEYS[1], KEYS[2], ARGV[1], ARGV[2], KEYS[3], ARGV[3], '1') or {'none'}
            """, List.class);
    // The callback's deadline. Hybrid: the answer is pushed when it comes. Passive: the last delivery gets the
    // placeholder (the answer is then owed to the next message), an earlier one is held so that WeChat re-sends.
    private static final RedisScript<List> SETTLE = RedisScript.of(SLOT_FUNCTIONS + """
            local taken = take(KEYS[1], KEYS[2], ARGV[1], ARGV[2], KEYS[3], ARGV[3], ARGV[7])
            if taken then return taken end
            if ARGV[4] ~= 'passive' then
              redis.call('HSET', KEYS[1], 'state', 'push'); redis.call('PEXPIRE', KEYS[1], ARGV[2])
              redis.call('PUBLISH', ARGV[6], ARGV[1])
              return {'push'}
            end
            if ARGV[5] ~= '1' then return {'hold'} end
            redis.call('HSET', KEYS[1], 'state', 'placeholder'); redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return {'placeholder'}
            """, List.class);
    // A turn's answer, while the turn holds its lease. Once per message (progress 'offered'), so a resumed turn does
    // not offer twice. Hybrid pushes what does not fit one reply or comes after its callbacks stopped waiting.
    private static final RedisScript<String> OFFER = RedisScript.of(SLOT_FUNCTIONS + Inbox.OWN + """
            if not own(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) then return 'lost' end
            if redis.call('HGET', KEYS[2], 'offered') then return 'offered' end
            if ARGV[3] == 'hybrid' and (ARGV[5] ~= '1' or closed(KEYS[3], ARGV[6])) then
              if redis.call('EXISTS', KEYS[3]) == 1 then
                redis.call('HSET', KEYS[3], 'state', 'push'); redis.call('PUBLISH', ARGV[8], ARGV[9])
              end
              return 'push'
            end
            redis.call('RPUSH', KEYS[4], ARGV[4]); redis.call('PEXPIRE', KEYS[4], ARGV[7])
            redis.call('HSET', KEYS[2], 'offered', '1')
            -- the rest this turn kept for a push is in the entry now (unless a pickup replaced it meanwhile)
            if ARGV[10] ~= '' and redis.call('GET', KEYS[5]) == ARGV[10] then redis.call('DEL', KEYS[5]) end
            redis.call('PUBLISH', ARGV[8], ARGV[9])
            return 'offered'
            """, String.class);

    // KEYS: the reply slot of the message the answer was given to, outbox, pending. ARGV: the entry as taken, the reply
    // given, the outbox's time to live (ms). An answer handed to a callback too late to reach WeChat goes back to the
    // front of the outbox, owed again, unless that hand-out was undone already.
    private static final RedisScript<Long> GIVE_BACK = RedisScript.of("""
            if redis.call('HGET', KEYS[1], 'given') ~= ARGV[2] then return 0 end
            redis.call('HDEL', KEYS[1], 'given')
            redis.call('LPUSH', KEYS[2], ARGV[1]); redis.call('PEXPIRE', KEYS[2], ARGV[3])
            local entry = cjson.decode(ARGV[1])
            if entry.rest and entry.rest ~= '' and redis.call('GET', KEYS[3]) == entry.rest then
              redis.call('DEL', KEYS[3])
            end
            return 1
            """, Long.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final Keys keys;
    private final String slotTtl;
    private final String pendingTtl;
    private final String window;
    private final String lease;

    public Outbox(StringRedisTemplate redis, ObjectMapper json, Keys keys, ChatProperties properties) {
        this.redis = redis;
        this.json = json;
        this.keys = keys;
        this.slotTtl = millis(properties.callback().dedupTtl());
        this.pendingTtl = millis(properties.delivery().pendingTtl());
        this.window = millis(properties.delivery().retryWindow());
        this.lease = millis(properties.queue().leaseTtl());
    }

    /** This message's reply if it is decided (its answer ready, or push); null while it is not. */
    public Handout take(String openid, String msgKey) {
        return handout(redis.execute(TAKE, List.of(keys.reply(msgKey), keys.outbox(openid), keys.pending(openid)),
                msgKey, slotTtl, pendingTtl));
    }

    /**
     * The callback's deadline came: what it answers, decided in one step (see SETTLE). mayTake false: too late for
     * this delivery to carry the answer (WeChat gave up on it), which stays owed.
     */
    public Handout settle(String openid, String msgKey, String mode, boolean lastDelivery, long holdMillis,
                          boolean mayTake) {
        Handout handout = handout(redis.execute(SETTLE, List.of(keys.reply(msgKey), keys.outbox(openid),
                        keys.pending(openid)), msgKey, slotTtl, pendingTtl, mode, lastDelivery ? "1" : "0",
                keys.repliesChannel(), mayTake ? "1" : "0"));
        return Handout.HOLD.equals(handout.path()) ? new Handout(Handout.HOLD, null, holdMillis, 0) : handout;
    }

    /**
     * Undoes a hand-out whose reply could not reach WeChat in time (the callback's deadline passed while Redis was
     * slow): the answer is owed again, first in line for this message's next delivery or the follower's next
     * message. msgKey: the message the reply was given to; entry: the outbox entry as it was taken.
     */
    public boolean giveBack(String openid, String msgKey, String entry, String reply) {
        Long undone = redis.execute(GIVE_BACK, List.of(keys.reply(msgKey), keys.outbox(openid), keys.pending(openid)),
                entry, reply, pendingTtl);
        return undone != null && undone == 1;
    }

    /**
     * Offers a turn's answer to the callbacks of its message (or, once they are over, to the follower's next
     * message): reply is what one passive reply carries, rest what the continue command brings after it. fits:
     * hybrid offers only an answer that fits one reply whole. keptForPush: the rest this turn committed for the
     * continue command when it meant to push (now part of the entry), or empty.
     */
    public Offer offer(Turn turn, String mode, String reply, String rest, boolean fits, String keptForPush)
            throws JsonProcessingException {
        String entry = json.writeValueAsString(new Entry(turn.msgKey(), reply, rest, turn.receivedAt()));
        String result = redis.execute(OFFER, List.of(keys.owner(turn.openid()), keys.progress(turn.msgKey()),
                        keys.reply(turn.msgKey()), keys.outbox(turn.openid()), keys.pending(turn.openid())),
                turn.token(), lease, mode, entry, fits ? "1" : "0", window, pendingTtl, keys.repliesChannel(),
                turn.msgKey(), keptForPush);
        return switch (result == null ? "lost" : result) {
            case "offered" -> Offer.OFFERED;
            case "push" -> Offer.PUSH;
            default -> Offer.LOST;
        };
    }

    /**
     * An outbox entry: the message it answers, its first reply, the rest for the continue command, and when that
     * message's callback arrived (for oac.answer.duration).
     */
    record Entry(String k, String reply, String rest, long at) {
    }

    private static Handout handout(List<?> result) {
        String path = result == null || result.isEmpty() ? "none" : (String) result.get(0);
        if ("none".equals(path)) {
            return null;
        }
        return new Handout(path, result.size() > 1 ? (String) result.get(1) : null, 0,
                result.size() > 2 ? Long.parseLong((String) result.get(2)) : 0,
                result.size() > 3 ? (String) result.get(3) : null);
    }

    static String millis(Duration duration) {
        return Long.toString(duration.toMillis());
    }
}
