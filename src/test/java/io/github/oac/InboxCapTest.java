package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.dataformat.xml.XmlMapper;

import io.micrometer.core.instrument.MeterRegistry;

/** A follower's inbox is bounded (chat.queue.inbox-max, 20 by default): what is beyond it is declined politely. */
class InboxCapTest extends RouteTestSupport {

    @Value("${chat.replies.inbox-full:}")
    String inboxFull;

    @Value("${chat.queue.inbox-max:20}")
    int inboxMax;

    @Autowired
    MeterRegistry metrics;

    @Test
    void aQuestionBeyondTheInboxCapGetsThePoliteReplyAndIsNotQueued() throws Exception {
        String openid = newOpenid();
        String inbox = keys.inbox(openid);
        // a slow turn holds the follower's lease, so nothing drains while inbox-max - 1 earlier questions wait
        redis.opsForValue().set(keys.owner(openid), "a-slow-turn", Duration.ofSeconds(30));
        for (int i = 1; i < inboxMax; i++) {
            redis.opsForList().rightPush(inbox, "{\"FromUserName\":\"" + openid + "\",\"CreateTime\":\"" + now()
                    + "\",\"MsgType\":\"text\",\"MsgId\":\"" + newMsgId() + "\",\"Content\":\"waiting " + i + "\"}");
        }
        redis.opsForSet().add(keys.waiting(openid), openid);
        double fullBefore = metrics.counter("oac.callbacks", "outcome", "full", "account", "default").count();

        ResponseEntity<String> last = postCallback(textMessage(openid, newMsgId(), "the last one that fits"));
        assertThat(last.getBody()).isEqualTo("success");
        assertThat(redis.opsForList().size(inbox)).isEqualTo(inboxMax);

        String beyondId = newMsgId();
        ResponseEntity<String> beyond = postCallback(textMessage(openid, beyondId, "one too many"));

        assertThat(beyond.getStatusCode().value()).isEqualTo(200);
        assertThat(redis.opsForList().size(inbox)).as("not queued").isEqualTo(inboxMax);
        assertThat(new XmlMapper().readTree(beyond.getBody()).path("Content").asText()).isEqualTo(inboxFull);
        assertThat(redis.opsForList().range(inbox, 0, -1)).noneMatch(entry -> entry.contains(beyondId));
        assertThat(redis.opsForValue().get(keys.rate(openid))).as("nor counted against the rate limit")
                .isEqualTo("1");
        assertThat(metrics.counter("oac.callbacks", "outcome", "full",
                "account", "default").count()).isEqualTo(fullBefore + 1);
        redis.delete(keys.owner(openid)); // the slow turn ends: recovery drains the inbox before the next test
    }
}
