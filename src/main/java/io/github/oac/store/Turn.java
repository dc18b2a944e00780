package io.github.oac.store;

import io.github.oac.wechat.Follower;
import io.github.oac.wechat.InboundMessage;

/**
 * One message's turn (the follower's, in their account), as read in the same Redis step that took (or kept) the follower's lease: the message, how far
 * an earlier attempt got (the text it decided, the parts WeChat accepted, how often it was started), the
 * conversation so far (JSON) and the rest of an earlier long answer. over: an earlier attempt ended the message's
 * delivery for good (a dead letter was recorded) and only its leaving the inbox was not. receivedAt: when the
 * message's callback arrived (epoch ms; 0 for messages queued before that was kept). labelled: the decided text was
 * written by the model, so it carries the AI label. photo: the follower's latest photo while it goes with their text
 * questions (chat.vision.keep), or null. {@code token} is this turn's lease: every write
 * the turn makes is conditional on it, so a turn that lost its lease (a Redis stall, a pause) changes nothing.
 */
public record Turn(Follower follower, String token, String head, InboundMessage message, String answer, int sent,
                   long attempts, String memory, String pending, boolean over, long receivedAt, boolean labelled,
                   InboundMessage photo) {

    public String openid() {
        return follower.openid();
    }

    public String msgKey() {
        return message.key();
    }

    /** An earlier attempt already decided the text: send it (from the first part WeChat has not accepted). */
    public boolean resumed() {
        return answer != null;
    }
}
