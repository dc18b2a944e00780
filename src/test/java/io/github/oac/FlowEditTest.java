package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

/**
 * The turn's invariants live in the beans and scripts, not in the YAML: routes/chat-answer.camel.yaml edited so that a
 * turn never ends its message (the step that takes it out of the inbox removed, as a careless edit would) makes the
 * turn fail loudly, and the follower still gets the answer once, not on every pass of the loop nor again from
 * recovery.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "camel.main.routes-include-pattern=file:" + FlowEditTest.FOLDER + "/*.camel.yaml",
})
class FlowEditTest extends RouteTestSupport {

    static final String FOLDER = "target/edited-routes";
    static final String NEXT_STEP = """
                    - setVariable:
                        # one log line (MsgId, masked openid, path, model time, parts, tokens) and the audit record;
                        # the message leaves the inbox and the next one is read, while the lease is ours
                        name: turn
                        method:
                          ref: turns
                          method: next(${variable:turn}, ${variable:reply})
            """.indent(12); // the text block strips the 12 spaces the route file has before each line

    static {
        copyRoutes(FOLDER, (name, text) -> {
            if (!name.equals("chat-answer.camel.yaml")) {
                return text;
            }
            if (!text.contains(NEXT_STEP)) {
                throw new IllegalStateException("chat-answer.camel.yaml no longer has the step to remove");
            }
            return text.replace(NEXT_STEP, "");
        });
    }

    @Test
    void aTurnThatNeverEndsItsMessageFailsLoudlyAndTheAnswerGoesOutOnce(CapturedOutput log) throws Exception {
        stubModelAnswer("only once");
        String openid = newOpenid();

        postCallback(textMessage(openid, newMsgId(), "what if the flow forgets to finish?"));

        await(() -> log.getAll().contains("was started twice in one turn"), Boolean.TRUE::equals);
        awaitTurnsFinished(openid);
        awaitQuiet(Duration.ofSeconds(15));
        Thread.sleep(1500); // three recovery passes (chat.recovery.interval=500): none may send it again
        assertThat(textsSentTo(openid)).containsExactly("only once");
        assertThat(redis.hasKey(keys.inbox(openid))).isFalse();
    }
}
