package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

/**
 * The audit trail, when asked for: one line per answered message on the logger "audit" with the question, the answer
 * as delivered (label included), the masked openid, the account and the moderation verdict; never the whole openid
 * or a secret.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "chat.audit.enabled=true",
        "chat.replies.ai-label=（本回复由AI生成）",
})
class AuditLogTest extends RouteTestSupport {

    @Test
    void eachAnsweredMessageLeavesOneAuditLineWithQuestionAnswerAndVerdict(CapturedOutput output) {
        stubModelAnswer("audited answer");
        String openid = newOpenid();
        String msgId = newMsgId();

        postCallback(textMessage(openid, msgId, "audited question"));
        await(() -> textsSentTo(openid), texts -> !texts.isEmpty());
        awaitQuiet(Duration.ofSeconds(10));

        List<String> lines = output.getAll().lines().filter(line -> line.contains("Audit " + msgId)).toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains(" audit ").contains("gh_test").contains("moderation passed")
                .contains("label true").contains("question: audited question")
                .contains("answer: audited answer\\n\\n（本回复由AI生成）")
                .doesNotContain(openid).doesNotContain(API_KEY).doesNotContain(APP_SECRET);
    }
}
