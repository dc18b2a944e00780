package io.github.oac.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.store.DeadLetters;
import io.github.oac.store.Inbox;
import io.github.oac.ops.Metrics;
import io.github.oac.store.Outbox;
import io.github.oac.store.Turn;
import io.github.oac.wechat.CustomerServiceText;
import io.github.oac.wechat.WechatApiException;

/**
 * Delivers a turn's text. By push: customer-service messages within WeChat's limits, parts of at most
 * chat.delivery.max-bytes, at most chat.delivery.max-messages per follower message, the last of them ending with the
 * continue hint when more remains; the rest waits in {@code oac:pending:<openid>} for the continue command. In hybrid
 * and passive delivery the text is first offered to the callbacks of its message (see Outbox): one passive reply,
 * with the continue hint when more remains (passive), or the whole answer when it fits one (hybrid, which pushes
 * otherwise). Every write is conditional on the turn's lease (see Inbox): a turn that lost it stops before its next
 * part. Called as {@code answerDelivery}.
 */
@Component("answerDelivery")
public class AnswerDelivery {

    private static final Logger LOG = LoggerFactory.getLogger(AnswerDelivery.class);

    private final Inbox inbox;
    private final Outbox outbox;
    private final Conversation conversation;
    private final DeadLetters deadLetters;
    private final DeliveryMode mode;
    private final Metrics metrics;
    private final ChatProperties.Delivery limits;
    private final int passiveMaxBytes;
    private final String hint;
    /** Each account's AI label (chat.replies.ai-label, or the account's own). */
    private final Accounts.PerAccount<Label> labels;
    private final AtomicBoolean permissionReported = new AtomicBoolean();
    /** The deliveries of this instance's turns between their commit and their end, by turn token. */
    private final Map<String, Delivery> inFlight = new ConcurrentHashMap<>();

    /**
     * The AI label (chat.replies.ai-label) as it goes on a batch of an answer the model wrote: after its last part
     * (before the continue hint), or before its first part. Room for it is kept in every part, so the parts are the
     * same whether a text is labelled or not, and a resumed turn cuts them where the first attempt did.
     */
    record Label(String text, boolean atStart) {

        static final Label NONE = new Label("", false);

        String around(String batch) {
            return text.isEmpty() ? batch : atStart ? text + "\n\n" + batch : batch + "\n\n" + text;
        }

        int room() {
            return text.isEmpty() ? 0 : ReplySplitter.bytes(text + "\n\n");
        }
    }

    /** How long a follower's latest photo goes with their text questions, from its arrival. */
    private final java.time.Duration photoKeep;

    public AnswerDelivery(Inbox inbox, Outbox outbox, Conversation conversation, DeadLetters deadLetters,
                          DeliveryMode mode, Metrics metrics, ChatProperties properties, Accounts accounts) {
        this.inbox = inbox;
        this.outbox = outbox;
        this.conversation = conversation;
        this.deadLetters = deadLetters;
        this.mode = mode;
        this.metrics = metrics;
        this.limits = properties.delivery();
        this.passiveMaxBytes = properties.replies().passiveMaxBytes();
        this.hint = properties.replies().continueHint();
        this.photoKeep = properties.vision().keep();
        this.labels = accounts.each(account -> {
            if (account.aiLabel().isEmpty()) {
                LOG.warn("chat.replies.ai-label is empty{}: answers the model wrote go out without a notice that they "
                        + "are AI-generated, which China's rules for such content (GB 45438-2025) require",
                        Accounts.DEFAULT.equals(account.name()) ? "" : " for the account " + account.name());
            }
            return new Label(account.aiLabel(), "start".equalsIgnoreCase(account.aiLabelPosition()));
        });
    }

    private Label label(Turn turn) {
        return labels.of(turn.follower().account());
    }

    private Delivery delivery(Turn turn, String text, boolean generated) {
        Label label = label(turn);
        return Delivery.of(text, limits, hint, generated ? label : Label.NONE, label.room());
    }

    /**
     * Commits what the turn decided, in one step: the text (a resumed turn sends the same), the conversation, the
     * rest beyond WeChat's quota for the continue command (replacing an older rest); in hybrid and passive delivery
     * the text is then offered to the callbacks of its message. Returns the first part to push, or null: nothing to
     * push (offered, ended, or the lease was lost: a turn that lost it commits nothing and sends nothing). A resumed
     * turn ({@link Reply#RESUMED}) commits nothing again and goes on from the first part WeChat has not accepted; an
     * ended message ({@link Reply#ENDED}) sends nothing. A turn commits once: a second commit without its
     * turns.next in between is refused (IllegalStateException), whatever the route does.
     */
    public CustomerServiceText commit(Turn turn, Reply reply) throws JsonProcessingException {
        if (inFlight.containsKey(turn.token())) {
            throw new IllegalStateException("message " + turn.msgKey() + " was committed already by this turn");
        }
        if (reply == Reply.ENDED) {
            return null;
        }
        Delivery delivery;
        if (reply == Reply.RESUMED) {
            delivery = delivery(turn, turn.answer(), turn.labelled());
            delivery.skip(turn.sent());
        } else {
            if (Reply.ANSWER_BLOCKED.equals(reply.moderation())) {
                // not delivered, not remembered; a dead letter (reason moderated) records it for the operator
                deadLetters.record(turn.follower(), turn.message(),
                        "moderated: the answer contained a word on the moderation list", null);
            }
            delivery = delivery(turn, reply.text(), reply.generated());
            String memory = reply.forget() ? ""
                    : reply.remembered() ? conversation.remembered(turn.memory(), reply.question(), reply.answer())
                    : null;
            // a photo the model answered about goes with the follower's next text questions for a while
            boolean keepPhoto = turn.message().isPhoto() && reply.remembered();
            java.time.Duration photoTtl = photoKeep.minusMillis(turn.receivedAt() > 0
                    ? Math.max(0, System.currentTimeMillis() - turn.receivedAt()) : 0);
            // passive: the rest is kept for the continue command once the follower has the first part (Outbox)
            boolean handOut = DeliveryMode.PASSIVE.equals(mode.current(turn.follower().account()));
            if (!(handOut ? inbox.commitForHandOut(turn, reply.text(), reply.generated(), memory, keepPhoto, photoTtl)
                    : inbox.commit(turn, reply.text(), reply.generated(), memory, delivery.rest(), keepPhoto,
                    photoTtl))) {
                delivery.lose();
            }
        }
        inFlight.put(turn.token(), delivery);
        if (mode.offers(turn.follower().account())) {
            offer(turn, delivery);
        }
        return nextPart(turn, delivery);
    }

    /** The turn is over: its delivery, for the log (null when it committed nothing). */
    public Delivery finish(Turn turn) {
        return inFlight.remove(turn.token());
    }

    private Delivery inFlight(Turn turn) {
        Delivery delivery = inFlight.get(turn.token());
        if (delivery == null) {
            throw new IllegalStateException("message " + turn.msgKey() + " has no committed answer in this turn");
        }
        return delivery;
    }

    private CustomerServiceText nextPart(Turn turn, Delivery delivery) {
        return delivery.hasNext() ? CustomerServiceText.of(turn.openid(), delivery.nextText()) : null;
    }

    /**
     * Hybrid and passive delivery: offers the text to the callbacks of its message, or, once they are over, to the
     * follower's next message. Offered: nothing is left to push. Hybrid pushes an answer that does not fit one
     * passive reply, or that came after its callbacks stopped waiting; so does a turn that already pushed a part.
     */
    private void offer(Turn turn, Delivery delivery) throws JsonProcessingException {
        if (!delivery.hasNext() || delivery.index() > 0) {
            return;
        }
        String current = mode.current(turn.follower().account());
        if (DeliveryMode.PASSIVE.equals(current)) {
            offerPassive(turn, delivery, "");
            return;
        }
        String text = delivery.label.around(delivery.unsent());
        handOver(delivery, outbox.offer(turn, current, text, "", ReplySplitter.bytes(text) <= passiveMaxBytes, ""));
    }

    /**
     * WeChat said the account has no customer-service API (auto delivery switched to passive meanwhile): what was not
     * sent waits for the follower's next message, instead of the rest kept for a push.
     */
    public CustomerServiceText offerUnsent(Turn turn) throws JsonProcessingException {
        Delivery delivery = inFlight(turn);
        LOG.info("Answer to {} not pushed (no customer-service API): it waits for the follower's next message",
                turn.msgKey());
        offerPassive(turn, delivery, delivery.rest());
        return null;
    }

    private void offerPassive(Turn turn, Delivery delivery, String keptForPush) throws JsonProcessingException {
        String suffix = "\n\n" + hint;
        int max = passiveMaxBytes - label(turn).room();
        ReplySplitter.Split split = ReplySplitter.split(delivery.unsent(), max, 1, max - ReplySplitter.bytes(suffix));
        String first = split.parts().isEmpty() ? "" : delivery.label.around(split.parts().get(0));
        String reply = split.rest().isEmpty() ? first : first + suffix;
        handOver(delivery, outbox.offer(turn, DeliveryMode.PASSIVE, reply, split.rest(), true, keptForPush));
    }

    private void handOver(Delivery delivery, Outbox.Offer offer) {
        switch (offer) {
            case OFFERED -> delivery.offered();
            case LOST -> delivery.lose();
            case PUSH -> {
                // hybrid: pushed as usual
            }
        }
    }

    /**
     * WeChat accepted the part: the next part to push, or null when none is left. Recorded (while the lease holds)
     * only when more parts follow: after the last one the turn is over and its message leaves the inbox.
     */
    public CustomerServiceText sent(Turn turn) {
        Delivery delivery = inFlight(turn);
        delivery.advance();
        if (delivery.index() == 1) {
            metrics.pushed(turn.follower().account(), turn.receivedAt());
        }
        if (delivery.hasNext() && !inbox.sent(turn, delivery.index())) {
            delivery.lose();
        }
        return nextPart(turn, delivery);
    }

    /**
     * WeChat refused the part (an errcode, or an HTTP error after the retries). A quota or window refusal keeps the
     * unsent rest for the continue command; anything else makes the message a dead letter with the unsent text.
     */
    public CustomerServiceText refused(Turn turn, WechatApiException refusal) throws JsonProcessingException {
        Delivery delivery = inFlight(turn);
        if (refusal.keepsRestForLater()) {
            LOG.warn("WeChat refused part {} of the answer to {} (errcode {}); the rest waits for the continue command",
                    delivery.index() + 1, turn.msgKey(), refusal.getErrcode());
            delivery.stopKeepingRest();
            if (inbox.keepPending(turn, delivery.rest())) {
                delivery.settle();
            }
            return null;
        }
        if (refusal.isPermissionMissing()) {
            if (permissionReported.compareAndSet(false, true)) {
                LOG.error("WeChat answered 48001 (api unauthorized): this Official Account has no customer-service "
                        + "permission, so no answer can be delivered. Verify the account (微信认证) or use a test "
                        + "account. Further 48001 errors are logged at DEBUG.");
            } else {
                LOG.debug("48001 again for {}", turn.msgKey());
            }
        } else {
            LOG.error("Answer to {} stopped after part {}: {}", turn.msgKey(), delivery.index(), refusal.getMessage());
        }
        deadLetter(turn, delivery, "WeChat refused the answer: " + refusal.getMessage());
        return null;
    }

    /**
     * The send failed in a way that may or may not have reached the follower (it timed out after the request left).
     * Never sent again, so never twice: the message becomes a dead letter with the text from this part on.
     */
    public CustomerServiceText unconfirmed(Turn turn, Exception failure) throws JsonProcessingException {
        Delivery delivery = inFlight(turn);
        LOG.error("Answer to {} stopped at part {}, which may or may not have arrived: {}", turn.msgKey(),
                delivery.index() + 1, failure.getMessage());
        deadLetter(turn, delivery, "WeChat did not confirm part " + (delivery.index() + 1) + " (it may have "
                + "arrived; not sent again): " + failure.getMessage());
        return null;
    }

    private void deadLetter(Turn turn, Delivery delivery, String reason) throws JsonProcessingException {
        String unsent = delivery.unsent();
        delivery.stopDroppingRest();
        if (inbox.endDelivery(turn)) {
            deadLetters.record(turn.follower(), turn.message(), reason, unsent);
            delivery.settle();
        }
    }

    /** One text's way out: the parts to send now, the rest for later, how far sending got. */
    public static final class Delivery {

        private final List<String> parts;
        private final boolean hintOnLast;
        private final String hint;
        private final Label label;
        private String rest;
        private int index;
        private boolean stopped;
        private boolean offered;
        private boolean settled;

        private Delivery(List<String> parts, boolean hintOnLast, String hint, String rest, Label label) {
            this.parts = parts;
            this.hintOnLast = hintOnLast;
            this.hint = hint;
            this.rest = rest;
            this.label = label;
        }

        /** label: what this text carries (none for the service's own texts); room: what every part leaves for it. */
        static Delivery of(String text, ChatProperties.Delivery limits, String hint, Label label, int room) {
            String hintSuffix = "\n\n" + hint;
            int max = limits.maxBytes() - room;
            ReplySplitter.Split split = ReplySplitter.split(text, max, limits.maxMessages(),
                    max - ReplySplitter.bytes(hintSuffix));
            return new Delivery(split.parts(), !split.rest().isEmpty(), hintSuffix, split.rest(), label);
        }

        /** Another part to send: false once all went out, WeChat stopped the answer, or the lease was lost. */
        public boolean hasNext() {
            return !stopped && index < parts.size();
        }

        /** The part, with the label when it ends the batch (or starts it), and the continue hint after the last. */
        String nextText() {
            String part = parts.get(index);
            int last = parts.size() - 1;
            if (label.atStart() ? index == 0 : index == last) {
                part = label.around(part);
            }
            return hintOnLast && index == last ? part + hint : part;
        }

        int index() {
            return index;
        }

        void advance() {
            index++;
        }

        /** Its end is recorded: what WeChat did not take is kept for 继续, or the message is a dead letter. */
        void settle() {
            settled = true;
        }

        /**
         * Nothing of it is left to send, by this turn or a successor: every part went out, it was offered, or its end
         * was recorded. False when the lease was lost or sending stopped on a failure to be resumed.
         */
        public boolean done() {
            return settled || offered || !stopped && index >= parts.size();
        }

        void skip(int alreadySent) {
            index = Math.min(parts.size(), Math.max(0, alreadySent));
        }

        /** Handed to the callbacks of its message (or the follower's next message): nothing is pushed. */
        void offered() {
            offered = true;
            stopDroppingRest();
        }

        /**
         * How the answer went, for the log: offered (to its message's callbacks, or owed to the follower's next message:
         * the callback's own log and meters say which), push, or none.
         */
        public String path() {
            return offered ? "offered" : index > 0 ? "push" : "none";
        }

        /** Parts that went out: pushed and accepted, or the one reply offered. */
        public int delivered() {
            return offered ? 1 : index;
        }

        /** The lease is gone: the successor sends the rest, this turn nothing more. */
        void lose() {
            stopped = true;
        }

        void stopKeepingRest() {
            rest = unsent();
            stopped = true;
        }

        /** What has not gone out: the parts from the current one on, and the rest beyond the budget. */
        String unsent() {
            List<String> unsent = new ArrayList<>(parts.subList(index, parts.size()));
            if (!rest.isEmpty()) {
                unsent.add(rest);
            }
            return String.join("\n\n", unsent);
        }

        void stopDroppingRest() {
            rest = "";
            stopped = true;
        }

        String rest() {
            return rest;
        }

        /** The AI label this text carries ("" for none). */
        public String label() {
            return label.text();
        }

        /** The text with its label where the follower sees it. */
        public String labelled(String text) {
            return label.around(text);
        }

        public List<String> parts() {
            return List.copyOf(parts);
        }
    }
}
