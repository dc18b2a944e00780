package io.github.oac.chat;

import org.springframework.stereotype.Component;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.ops.Metrics;
import io.github.oac.store.Admission.Admitted;
import io.github.oac.store.Outbox.Handout;
import io.github.oac.wechat.Callback;
import io.github.oac.wechat.ClickReplies;
import io.github.oac.wechat.InboundMessage;
import io.github.oac.wechat.PassiveReplies;

/**
 * What a callback answers, by its admission: the answer itself when the callback waited for it (hybrid, passive), an
 * answer owed to the follower that this message picked up, the polite refusals (inbox full, busy, rate limited), the
 * replies that need no model (a follow's welcome, a menu click's reply, an unrecognised voice, a type the service
 * does not answer), else {@code success}. Every callback is counted and timed from its arrival (Metrics). Called as
 * {@code callbackReplies}.
 */
@Component("callbackReplies")
public class CallbackReplies {

    private final ReplyWaits replyWaits;
    private final ClickReplies clickReplies;
    private final PassiveReplies passiveReplies;
    private final Metrics metrics;
    private final ChatProperties.Replies texts;
    private final Accounts accounts;

    public CallbackReplies(ReplyWaits replyWaits, ClickReplies clickReplies, PassiveReplies passiveReplies,
                           Metrics metrics, Accounts accounts, ChatProperties properties) {
        this.accounts = accounts;
        this.replyWaits = replyWaits;
        this.clickReplies = clickReplies;
        this.passiveReplies = passiveReplies;
        this.metrics = metrics;
        this.texts = properties.replies();
    }

    /** handout: what the callback's wait for its own answer decided (null: it did not wait). */
    public String reply(Callback callback, Admitted admitted, Handout handout) {
        String text = switch (admitted.outcome()) {
            // null (push, or held): plain success, the answer goes by customer-service message
            case "accepted", "retry" -> handout == null || Handout.HOLD.equals(handout.path()) ? null : handout.text();
            case "pickup" -> pickedUp(callback, admitted);
            case "full" -> texts.inboxFull();
            case "busy" -> texts.busy();
            case "limited" -> texts.rateLimited();
            case "new" -> withoutModel(callback);
            // a replayed request, WeChat re-sending a message (answered once already), or a text without the
            // trigger prefix: acknowledged
            default -> null;
        };
        metrics.callback(callback.account(), admitted.outcome(), handout, text, callback.arrivedAt());
        return passiveReplies.reply(callback, text);
    }

    /**
     * The follower was owed an earlier answer (it came after its own message's deliveries): it is this message's
     * reply; given back instead (null) when Redis was so slow that WeChat no longer waits for this reply.
     */
    private String pickedUp(Callback callback, Admitted admitted) {
        String text = replyWaits.pickupInTime(callback, admitted);
        if (text != null) {
            metrics.pickedUp(callback.account(), admitted.receivedAt());
        }
        return text;
    }

    /** What a message that is not a question gets: answered here, no model call; null for nothing to say. */
    private String withoutModel(Callback callback) {
        InboundMessage message = callback.message();
        if ("voice".equals(message.msgType())) {
            return texts.voiceUnrecognised(); // a recognised voice message is a question
        }
        if (message.isEvent("subscribe")) {
            return accounts.of(callback.account()).welcome(); // the account's own, or chat.replies.welcome
        }
        if (message.isEvent("CLICK")) {
            return clickReplies.replyFor(message.eventKey());
        }
        if ("event".equals(message.msgType()) || "text".equals(message.msgType())) {
            // unsubscribe (forgotten before admission), SCAN, LOCATION, VIEW and the rest, or an empty text
            return null;
        }
        return texts.unsupported(); // image, video, shortvideo, location, link and types WeChat may add
    }
}
