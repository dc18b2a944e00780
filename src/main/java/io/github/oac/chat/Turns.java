package io.github.oac.chat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.github.oac.store.DeadLetters;
import io.github.oac.store.Inbox;
import io.github.oac.store.Turn;
import io.github.oac.wechat.Commands;
import io.github.oac.wechat.Follower;

/**
 * A follower's turns, as the answering side (routes/chat-answer.camel.yaml) takes them: claimed one message at a
 * time under the follower's lease, started (what the message needs), and finished (logged, and the message leaves
 * the inbox while the lease is still ours). The lease and its token stay in here and in the store: every write a turn
 * makes checks it, so a turn that lost it changes nothing and sends nothing. Called as {@code turns}.
 */
@Component("turns")
public class Turns {

    private static final Logger LOG = LoggerFactory.getLogger(Turns.class);

    private final Inbox inbox;
    private final Wakes wakes;
    private final DeadLetters deadLetters;
    private final Commands commands;
    private final Replies replies;
    private final Moderation moderation;
    private final ChatRequests requests;
    private final Photos photos;
    private final ModelWaits modelWaits;
    private final AnswerDelivery delivery;
    private final AnswerLog answerLog;
    private final AuditLog auditLog;
    private final DailyQuotas quotas;
    private final ModelLimits limits;
    private final LaterWakes laterWakes;
    /** The messages this instance's turns started and have not ended: token and MsgId. */
    private final Set<String> started = ConcurrentHashMap.newKeySet();

    public Turns(Inbox inbox, Wakes wakes, DeadLetters deadLetters, Commands commands, Replies replies,
                 Moderation moderation, ChatRequests requests, Photos photos, ModelWaits modelWaits,
                 AnswerDelivery delivery, AnswerLog answerLog, AuditLog auditLog, DailyQuotas quotas,
                 ModelLimits limits, LaterWakes laterWakes) {
        this.inbox = inbox;
        this.wakes = wakes;
        this.deadLetters = deadLetters;
        this.commands = commands;
        this.replies = replies;
        this.moderation = moderation;
        this.requests = requests;
        this.photos = photos;
        this.modelWaits = modelWaits;
        this.delivery = delivery;
        this.answerLog = answerLog;
        this.auditLog = auditLog;
        this.quotas = quotas;
        this.limits = limits;
        this.laterWakes = laterWakes;
    }

    /**
     * The follower's oldest message, with the lease and all its turn needs, in one Redis step; null when someone else
     * answers this follower (they find the new message too) or nothing is left.
     */
    public Turn claim(Follower follower) throws JsonProcessingException {
        wakes.taken(follower);
        return inbox.claim(follower);
    }

    /**
     * What the message needs: a ChatRequest for the model; a PhotoQuestion when it is about a photo (the follower's,
     * or their latest one a text question goes with); a ModerationCheck when the moderation service must see the
     * question first; or the Reply that needs no model: a command's, the quota-exceeded reply (the follower's daily
     * quota is spent), the refusal of a question with a listed word,
     * {@link Reply#RESUMED} when an earlier attempt committed the text, {@link Reply#ENDED} when the message is over
     * (too old or tried too often: a dead letter now; or one already).
     */
    public Object start(Turn turn) throws JsonProcessingException {
        if (!started.add(turn.token() + " " + turn.msgKey())) {
            throw new IllegalStateException("message " + turn.msgKey() + " was started twice in one turn: each "
                    + "message's turn must end with turns.next");
        }
        String giveUp = deadLetters.reasonToGiveUp(turn.message(), turn.attempts());
        if (giveUp != null) {
            deadLetters.record(turn.follower(), turn.message(), giveUp, null);
            return Reply.ENDED;
        }
        if (turn.over()) {
            LOG.info("Message {} was already ended (a dead letter)", turn.msgKey());
            deadLetters.recordIfMissing(turn.follower(), turn.message()); // its turn may have stopped in between
            return Reply.ENDED;
        }
        if (turn.resumed()) {
            return Reply.RESUMED;
        }
        if (commands.isReset(turn.message())) {
            return replies.resetDone();
        }
        if (commands.isContinue(turn.message())) {
            return replies.continued(turn);
        }
        if (quotas.refuses(turn)) {
            return replies.quotaExceeded();
        }
        Object photo = photos.ask(turn);
        if (photo instanceof Reply) {
            return photo;
        }
        // a photo alone has no text of the follower's to moderate; its answer is moderated as any other
        Object asked = photo != null && turn.message().isPhoto() ? photo
                : moderation.question(turn, photo != null ? photo : requests.forQuestion(turn));
        if (!(asked instanceof Reply)) {
            modelWaits.begin(turn); // the model's time counts from here (with the moderation service's check)
        }
        return asked;
    }

    /**
     * The message is done: one log line (and the audit record), then it leaves the inbox and the follower's next
     * message is read, while the lease is ours; null when none is left or the lease was lost.
     */
    public Turn next(Turn done, Reply reply) throws JsonProcessingException {
        modelWaits.end(done); // a question the moderation service blocked never reached the model
        limits.forget(done);
        AnswerDelivery.Delivery delivered = delivery.finish(done);
        started.remove(done.token() + " " + done.msgKey());
        if (reply != Reply.ENDED) {
            Reply decided = reply == Reply.RESUMED ? null : reply;
            answerLog.answered(done, decided, delivered);
            auditLog.answered(done, decided, delivered);
        }
        return inbox.next(done);
    }

    /**
     * The turn waits for the model (over its provider's limits, paused by a Retry-After, or its breaker open and
     * chat.breaker.when-open=wait): the message waits in the inbox, the lease goes, and the follower is woken again
     * when the wait is over (a wait not known: by the next recovery pass).
     */
    public void pause(Turn turn, Exception why) {
        if (turn != null) {
            modelWaits.end(turn);
            limits.forget(turn);
            delivery.finish(turn);
            started.remove(turn.token() + " " + turn.msgKey());
            inbox.pause(turn);
            if (why instanceof ModelPausedException paused && paused.waitMillis() > 0) {
                laterWakes.wakeAfter(turn.follower(), paused.waitMillis());
            }
        }
    }

    /**
     * Answering stopped on an unexpected failure: the lease is given up, the message stays at the head of the inbox,
     * and recovery resumes it from the last part WeChat accepted. A message whose answer went out in full (or whose
     * end was recorded) leaves the inbox instead: resuming it would send its last part again.
     */
    public void abandon(Turn turn) throws JsonProcessingException {
        if (turn == null) {
            return;
        }
        modelWaits.end(turn);
        limits.forget(turn);
        AnswerDelivery.Delivery delivered = delivery.finish(turn);
        started.remove(turn.token() + " " + turn.msgKey());
        if (delivered != null && delivered.done()) {
            try {
                inbox.abandon(inbox.next(turn)); // the follower's next message waits for recovery's wake
                return;
            } catch (RuntimeException redisDown) {
                LOG.warn("Could not take the answered message {} out of the inbox: {}", turn.msgKey(),
                        redisDown.getMessage());
            }
        }
        inbox.abandon(turn);
    }
}
