package io.github.oac.chat;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.github.oac.store.Admission;
import io.github.oac.store.Admission.Admitted;
import io.github.oac.store.Followers;
import io.github.oac.wechat.Callback;
import io.github.oac.wechat.Follower;
import io.github.oac.wechat.InboundMessage;

/**
 * A callback's admission, as the callback route (routes/wechat-callback.camel.yaml) asks for it: an unfollowing is
 * forgotten first (a failure answers 503, and WeChat's re-delivery tries again, where admission would take it for a
 * duplicate; routes/unfollow.camel.yaml retries in the background too); then one atomic Redis step decides (see
 * Admission), with a new question turned away when it lacks the trigger prefix (ignored) or the answering side is
 * saturated (busy). Called as {@code reception}.
 */
@Component("reception")
public class Reception {

    /** Forgetting an unfollowing follower failed: the callback answers 503, and a background retry keeps trying. */
    public static class UnfollowNotForgotten extends RuntimeException {
        public UnfollowNotForgotten(Throwable cause) {
            super("could not forget an unfollowing follower yet: " + cause.getMessage(), cause, false, false);
        }
    }

    private final Admission admission;
    private final Followers followers;
    private final ChatRequests requests;
    private final Backpressure backpressure;
    private final DeliveryMode mode;

    public Reception(Admission admission, Followers followers, ChatRequests requests, Backpressure backpressure,
                     DeliveryMode mode) {
        this.admission = admission;
        this.followers = followers;
        this.requests = requests;
        this.backpressure = backpressure;
        this.mode = mode;
    }

    public Admitted admit(Callback callback) throws JsonProcessingException {
        InboundMessage message = callback.message();
        if (message.isEvent("unsubscribe")) {
            try {
                forget(callback);
            } catch (RuntimeException redisDown) {
                throw new UnfollowNotForgotten(redisDown);
            }
        }
        // counted only once the message is known to be new: a re-delivery gets what its first delivery got
        boolean question = requests.asksModel(message);
        String refusal = null;
        if (question) {
            refusal = !requests.triggered(message) ? "ignored" : backpressure.full() ? "busy" : null;
        }
        return admission.admit(callback, question, refusal, mode.current(callback.account()));
    }

    /** What the follower left before unfollowing is forgotten: idempotent, so WeChat's re-delivery may repeat it. */
    public void forget(Callback callback) {
        followers.forget(callback.follower(), callback.message().createTime(), callback.arrivedAt());
    }

    /**
     * The follower whose inbox got a question the answering side must be woken for (a question accepted, or queued
     * behind the answer this message picked up); null when there is none.
     */
    public Follower toWake(Callback callback, Admitted admitted) {
        return "accepted".equals(admitted.outcome()) || "pickup".equals(admitted.outcome()) && admitted.queued()
                ? callback.follower() : null;
    }
}
