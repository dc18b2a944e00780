package io.github.oac.store;

import java.time.Duration;
import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.wechat.Callback;
import io.github.oac.wechat.Commands;
import io.github.oac.wechat.Follower;
import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.InboundMessage;

/**
 * Everything the callback asks of Redis about a message, in one atomic step on the follower's keys (admit.lua): is the
 * message a duplicate, is the follower over the rate limit, is an earlier answer owed to them (hybrid and passive
 * delivery: it goes back in this message's reply), and, for a question, the message appended to the follower's inbox.
 * Either all of it is recorded or none (Redis unreachable: 503, WeChat retries). A plaintext callback's signed
 * request is spent first (spend-signature.lua: its own key, as a signature belongs to no follower); in safe mode
 * msg_signature covers the body and de-duplication is enough, so a one-part answer costs four Redis round trips
 * there and five in plaintext mode. Called as {@code admission}; the outcome is one of {@code replay},
 * {@code duplicate}, {@code retry} (WeChat delivered this message again and its reply slot exists: the callback
 * answers what the first delivery would have), {@code full} (the follower already has chat.queue.inbox-max
 * questions waiting: not queued, and not counted against the rate limit), {@code limited}, {@code accepted} (a
 * question now in the inbox), {@code pickup} (an owed answer is this message's reply; a question is queued too) and
 * {@code new} (anything else, answered by the callback itself).
 */
@Component("admission")
public class Admission {

    /**
     * What the admission decided. mode: the delivery mode in force (auto resolved); reply: an owed answer picked up
     * for this message; deliveries: how often WeChat delivered it (retry); queued: a question went into the inbox;
     * receivedAt: when the callback of the message whose answer was picked up arrived (0: unknown); pickedEntry: the
     * outbox entry picked up, as it was (to give it back if the reply cannot reach WeChat in time).
     */
    public record Admitted(String outcome, String mode, String reply, int deliveries, boolean queued,
                           long receivedAt, String pickedEntry) {

        /** This callback waits for its own answer: a question in hybrid or passive delivery, or a re-delivery. */
        public boolean awaitsReply() {
            return "retry".equals(outcome) || "accepted".equals(outcome) && !"push".equals(mode);
        }
    }

    /** admit.lua: the keys, then the arguments, in its header's order. Flags are "1" or "0". */
    record Admit(String dedup, String rate, String inbox, String waiting, String slot, String outbox, String pending,
                 String dedupTtlSeconds, String question, String perMinute, String entry, String openid,
                 String inboxMax, String mode, String mayCarryReply, String continueCommand, String slotPrefix,
                 String retryWindow, String pendingTtl, String queuedHint, String passiveMaxBytes, String slotTtl,
                 String fullHint, String limitedHint, String refusal, String busyHint) implements Script.Call {
        public List<String> keys() {
            return List.of(dedup, rate, inbox, waiting, slot, outbox, pending);
        }

        public List<String> args() {
            return List.of(dedupTtlSeconds, question, perMinute, entry, openid, inboxMax, mode, mayCarryReply,
                    continueCommand, slotPrefix, retryWindow, pendingTtl, queuedHint, passiveMaxBytes, slotTtl,
                    fullHint, limitedHint, refusal, busyHint);
        }
    }

    /** spend-signature.lua. */
    record SpendSignature(String replay, String bodyDigest, String ttlSeconds) implements Script.Call {
        public List<String> keys() {
            return List.of(replay);
        }

        public List<String> args() {
            return List.of(bodyDigest, ttlSeconds);
        }
    }

    private static final Script<SpendSignature, String> SPEND_SIGNATURE = Script.of("spend-signature", String.class);
    @SuppressWarnings("rawtypes")
    private static final Script<Admit, List> ADMIT = Script.of("admit", List.class);

    private final ReplicaAcks replicaAcks;
    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final Commands commands;
    private final Keys keys;
    private final LegacyKeys legacyKeys;
    private final WaitingFollowers waitingFollowers;
    private final Duration replayTtl;
    private final Duration dedupTtl;
    private final Duration dedupRecordTtl;
    private final Accounts accounts;
    private final int inboxMax;
    private final String retryWindow;
    private final String pendingTtl;
    private final String queuedHint;
    private final String fullHint;
    private final String limitedHint;
    private final String busyHint;
    private final String passiveMaxBytes;

    public Admission(StringRedisTemplate redis, ObjectMapper json, Commands commands, Keys keys,
                     LegacyKeys legacyKeys, WaitingFollowers waitingFollowers, ReplicaAcks replicaAcks,
                     Accounts accounts, ChatProperties properties) {
        this.accounts = accounts;
        this.redis = redis;
        this.replicaAcks = replicaAcks;
        this.json = json;
        this.commands = commands;
        this.keys = keys;
        this.legacyKeys = legacyKeys;
        this.waitingFollowers = waitingFollowers;
        this.replayTtl = properties.callback().timestampWindow().multipliedBy(2);
        this.dedupTtl = properties.callback().dedupTtl();
        // a re-delivery under a signed request still on record must find its dedup record too
        this.dedupRecordTtl = dedupTtl.compareTo(replayTtl) > 0 ? dedupTtl : replayTtl;
        this.inboxMax = properties.queue().inboxMax();
        this.retryWindow = Script.millis(properties.delivery().retryWindow());
        this.pendingTtl = Script.millis(properties.delivery().pendingTtl());
        this.queuedHint = "\n\n" + properties.replies().queued();
        this.fullHint = "\n\n" + properties.replies().inboxFull();
        this.limitedHint = "\n\n" + properties.replies().rateLimited();
        this.busyHint = "\n\n" + properties.replies().busy();
        this.passiveMaxBytes = Integer.toString(properties.replies().passiveMaxBytes());
    }

    /**
     * question: the message goes to the answering side (a text or recognised voice question, a command, a photo).
     * refusal: busy or ignored when the callback would turn this message away if it is a new question (null: it
     * would not). It counts only once the message is known to be new: WeChat re-delivering an accepted question gets
     * what its first delivery got, and an answer owed to the follower is handed out all the same. mode: the delivery
     * mode in force (auto resolved).
     */
    public Admitted admit(Callback callback, boolean question, String refusal, String mode)
            throws JsonProcessingException {
        InboundMessage message = callback.message();
        // a plaintext callback's body is not signed: its signed request is good for this body once
        if (callback.digest() != null) {
            // keyed on what the signature signs, not on how it is spelled (the check ignores the hex digits' case)
            String spent = SPEND_SIGNATURE.run(redis, new SpendSignature(keys.replay(callback.signature()),
                    callback.digest(), Long.toString(replayTtl.toSeconds())));
            if ("replay".equals(spent)) {
                return new Admitted("replay", mode, null, 1, false, 0, null);
            }
        }
        Follower follower = callback.follower();
        String openid = follower.openid();
        String msgKey = message.key();
        Keys keys = this.keys.of(follower);
        legacyKeys.adopt(follower, msgKey); // only for a while after an upgrade that found old names
        // commands cost no model call, so they are never rate limited
        int limit = question && !commands.isCommand(message) ? accounts.of(follower.account()).rateLimit() : 0;
        List<?> result;
        try {
            result = ADMIT.run(redis, new Admit(keys.dedup(openid, msgKey), keys.rate(openid),
                    keys.inbox(openid), keys.waiting(openid), keys.reply(openid, msgKey), keys.outbox(openid),
                    keys.pending(openid), Long.toString(dedupRecordTtl.toSeconds()), Script.flag(question),
                    Integer.toString(limit), question ? entry(message, callback.arrivedAt()) : "", openid,
                    Integer.toString(inboxMax), mode, Script.flag(message.mayCarryReply()),
                    Script.flag(question && commands.isContinue(message)), keys.replyPrefix(openid), retryWindow,
                    pendingTtl, queuedHint, passiveMaxBytes, Long.toString(dedupTtl.toMillis()), fullHint, limitedHint,
                    refusal == null ? "" : refusal, busyHint), replicaAcks); // acknowledged only once replicated
        } catch (ReplicasBehindException notReplicated) {
            // written, but answered 503: WeChat's re-delivery finds it a duplicate and wakes nobody, so the next
            // recovery pass looks at this follower
            waitingFollowers.note(follower);
            throw notReplicated;
        }
        if (result.size() > 4 && "1".equals(result.get(4)) || "accepted".equals(result.get(0))) {
            waitingFollowers.note(follower); // queued: if its wake is dropped, the next recovery pass finds it
        }
        return new Admitted((String) result.get(0), (String) result.get(1),
                result.size() > 2 && !"".equals(result.get(2)) ? (String) result.get(2) : null,
                result.size() > 3 ? Integer.parseInt((String) result.get(3)) : 1,
                result.size() > 4 && "1".equals(result.get(4)),
                result.size() > 5 ? Long.parseLong((String) result.get(5)) : 0,
                result.size() > 6 ? (String) result.get(6) : null);
    }

    /** The inbox entry: the message as JSON (with its key), and when its callback arrived ("At", epoch ms). */
    private String entry(InboundMessage message, long arrivedAt) throws JsonProcessingException {
        com.fasterxml.jackson.databind.node.ObjectNode node = json.valueToTree(message);
        node.put("At", arrivedAt);
        return json.writeValueAsString(node);
    }
}
