package io.github.oac.chat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.github.oac.chat.AnswerDelivery.Delivery;
import io.github.oac.store.Turn;
import io.github.oac.wechat.Openids;

/**
 * One INFO line per answered message, for operators: MsgId, the follower's account and masked openid, how the answer
 * went (push, passive, or stopped), the model's time, parts and tokens. With LOG_FORMAT=json the same facts are fields
 * (msgId, account, openid, path, modelMs, parts, promptTokens, completionTokens). Never a whole openid, never a text.
 * Called as {@code answerLog}.
 */
@Component("answerLog")
public class AnswerLog {

    private static final Logger LOG = LoggerFactory.getLogger("answers");

    public void answered(Turn turn, Reply reply, Delivery delivery) {
        ModelAnswer model = reply == null ? null : reply.model();
        long modelMillis = model == null ? 0 : model.millis();
        String path = delivery == null ? "none" : delivery.path();
        int parts = delivery == null ? 0 : delivery.delivered();
        String openid = Openids.masked(turn.openid());
        LOG.atInfo()
                .addKeyValue("msgId", turn.msgKey())
                .addKeyValue("account", turn.follower().account())
                .addKeyValue("openid", openid)
                .addKeyValue("path", path)
                .addKeyValue("modelMs", modelMillis)
                .addKeyValue("parts", parts)
                .addKeyValue("promptTokens", model == null ? 0 : model.promptTokens())
                .addKeyValue("completionTokens", model == null ? 0 : model.completionTokens())
                .log("Answered {} for {}: {}, {} part(s){}{}", turn.msgKey(), turn.follower().masked(), path, parts,
                        model == null ? "" : ", model " + modelMillis + " ms",
                        model == null ? "" : ", " + model.tokens() + " tokens (" + model.promptTokens() + " prompt + "
                                + model.completionTokens() + " completion)");
    }
}
