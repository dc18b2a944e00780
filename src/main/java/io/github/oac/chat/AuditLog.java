package io.github.oac.chat;

import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.github.oac.chat.AnswerDelivery.Delivery;
import io.github.oac.config.ChatProperties;
import io.github.oac.store.Turn;
import io.github.oac.wechat.Openids;

/**
 * The audit trail (chat.audit.enabled): per answered message one INFO line on the logger {@code audit}, with
 * LOG_FORMAT=json a JSON line whose fields are msgId, openid (masked), account (the Official Account's id the message
 * was sent to), accountName (its name here: default, or chat.accounts.<name>), time, question, answer (as delivered: the label included), label, moderation (passed, question
 * blocked, answer blocked). It holds followers' texts, never a secret, and is off unless asked for. Called as
 * {@code auditLog}.
 */
@Component("auditLog")
public class AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger("audit");

    private final boolean enabled;
    private final ChatRequests requests;

    public AuditLog(ChatProperties properties, ChatRequests requests) {
        this.enabled = properties.audit() != null && properties.audit().enabled();
        this.requests = requests;
    }

    public void answered(Turn turn, Reply reply, Delivery delivery) {
        if (!enabled || reply == null) {
            return;
        }
        String label = delivery == null ? "" : delivery.label();
        String answer = delivery == null ? reply.text() : delivery.labelled(reply.text());
        String question = requests.asksModel(turn.message()) ? requests.question(turn.message()) : "";
        String verdict = reply.moderation() == null ? "passed" : reply.moderation();
        LOG.atInfo()
                .addKeyValue("msgId", turn.msgKey())
                .addKeyValue("openid", Openids.masked(turn.openid()))
                .addKeyValue("account", turn.message().toUserName())
                .addKeyValue("accountName", turn.follower().account())
                .addKeyValue("time", Instant.now().toString())
                .addKeyValue("question", question)
                .addKeyValue("answer", answer)
                .addKeyValue("label", !label.isEmpty())
                .addKeyValue("moderation", verdict)
                .log("Audit {} from {} to {}: moderation {}, label {}; question: {} | answer: {}", turn.msgKey(),
                        Openids.masked(turn.openid()), turn.message().toUserName(), verdict, !label.isEmpty(),
                        oneLine(question), oneLine(answer));
    }

    /** Line breaks escaped: in the text log a follower's text cannot start a line of its own (JSON escapes them). */
    private static String oneLine(String text) {
        return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n");
    }
}
