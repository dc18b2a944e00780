package io.github.oac.store;

import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.Follower;

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

    /** take.lua. */
    record Take(String slot, String outbox, String pending, String msgKey, String slotTtl, String pendingTtl)
            implements Script.Call {
        public List<String> keys() {
            return List.of(slot, outbox, pending);
        }

        public List<String> args() {
            return List.of(msgKey, slotTtl, pendingTtl);
        }
    }

    /** settle.lua; lastDelivery and mayTake "1" or "0". */
    record Settle(Take take, String mode, String lastDelivery, String channel, String mayTake)
            implements Script.Call {
        public List<String> keys() {
            return take.keys();
        }

        public List<String> args() {
            return List.of(take.msgKey(), take.slotTtl(), take.pendingTtl(), mode, lastDelivery, channel, mayTake);
        }
    }

    /** offer.lua; fits "1" when the answer fits one reply. */
    record OfferCall(String lease, String progress, String slot, String outbox, String pending, String token,
                     String leaseTtl, String mode, String entry, String fits, String window, String outboxTtl,
                     String channel, String msgKey, String keptForPush) implements Script.Call {
        public List<String> keys() {
            return List.of(lease, progress, slot, outbox, pending);
        }

        public List<String> args() {
            return List.of(token, leaseTtl, mode, entry, fits, window, outboxTtl, channel, msgKey, keptForPush);
        }
    }

    /** give-back.lua. */
    record GiveBack(String slot, String outbox, String pending, String entry, String reply, String outboxTtl)
            implements Script.Call {
        public List<String> keys() {
            return List.of(slot, outbox, pending);
        }

        public List<String> args() {
            return List.of(entry, reply, outboxTtl);
        }
    }

    @SuppressWarnings("rawtypes")
    private static final Script<Take, List> TAKE = Script.of("take", List.class);
    @SuppressWarnings("rawtypes")
    private static final Script<Settle, List> SETTLE = Script.of("settle", List.class);
    private static final Script<OfferCall, String> OFFER = Script.of("offer", String.class);
    private static final Script<GiveBack, Long> GIVE_BACK = Script.of("give-back", Long.class);

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
        this.slotTtl = Script.millis(properties.callback().dedupTtl());
        this.pendingTtl = Script.millis(properties.delivery().pendingTtl());
        this.window = Script.millis(properties.delivery().retryWindow());
        this.lease = Script.millis(properties.queue().leaseTtl());
    }

    /** This message's reply if it is decided (its answer ready, or push); null while it is not. */
    public Handout take(Follower follower, String msgKey) {
        return handout(TAKE.run(redis, takeCall(follower, msgKey)));
    }

    /**
     * The callback's deadline came: what it answers, decided in one step (see SETTLE). mayTake false: too late for
     * this delivery to carry the answer (WeChat gave up on it), which stays owed.
     */
    public Handout settle(Follower follower, String msgKey, String mode, boolean lastDelivery, long holdMillis,
                          boolean mayTake) {
        Handout handout = handout(SETTLE.run(redis, new Settle(takeCall(follower, msgKey), mode,
                Script.flag(lastDelivery), keys.repliesChannel(), Script.flag(mayTake))));
        return Handout.HOLD.equals(handout.path()) ? new Handout(Handout.HOLD, null, holdMillis, 0) : handout;
    }

    /**
     * Undoes a hand-out whose reply could not reach WeChat in time (the callback's deadline passed while Redis was
     * slow): the answer is owed again, first in line for this message's next delivery or the follower's next
     * message. msgKey: the message the reply was given to; entry: the outbox entry as it was taken.
     */
    public boolean giveBack(Follower follower, String msgKey, String entry, String reply) {
        Keys keys = this.keys.of(follower);
        String openid = follower.openid();
        Long undone = GIVE_BACK.run(redis, new GiveBack(keys.reply(openid, msgKey), keys.outbox(openid),
                keys.pending(openid), entry, reply, pendingTtl));
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
        Keys keys = this.keys.of(turn.follower());
        String result = OFFER.run(redis, new OfferCall(keys.owner(turn.openid()), keys.progress(turn.openid(), turn.msgKey()),
                keys.reply(turn.openid(), turn.msgKey()), keys.outbox(turn.openid()), keys.pending(turn.openid()), turn.token(),
                lease, mode, entry, Script.flag(fits), window, pendingTtl, keys.repliesChannel(), turn.msgKey(),
                keptForPush));
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

    private Take takeCall(Follower follower, String msgKey) {
        Keys keys = this.keys.of(follower);
        String openid = follower.openid();
        return new Take(keys.reply(openid, msgKey), keys.outbox(openid), keys.pending(openid), msgKey, slotTtl, pendingTtl);
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

}
