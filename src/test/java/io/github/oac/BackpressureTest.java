package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import com.fasterxml.jackson.dataformat.xml.XmlMapper;

/** A saturated answering side: callbacks still answer at once, the busy ones politely, and no accepted one is lost. */
@TestPropertySource(properties = {"chat.queue.size=3", "chat.queue.consumers=1", "chat.admin.token="})
class BackpressureTest extends RouteTestSupport {

    @Value("${chat.replies.busy}")
    String busy;

    @org.springframework.beans.factory.annotation.Autowired
    io.micrometer.core.instrument.MeterRegistry metrics;

    @Test
    void whenTheQueueIsFullCallbacksGetTheBusyReplyInTimeAndEveryAcceptedMessageIsAnswered() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("slow answer"))
                .withFixedDelay(700)));
        double busyBefore = metrics.counter("oac.callbacks", "outcome", "busy", "account", "default").count();
        List<String> accepted = new ArrayList<>();
        List<String> turnedAway = new ArrayList<>();

        for (int i = 0; i < 12; i++) {
            String openid = newOpenid();
            long started = System.nanoTime();
            ResponseEntity<String> response = postCallback(textMessage(openid, newMsgId(), "q" + i));
            assertThat((System.nanoTime() - started) / 1_000_000).as("answered in time").isLessThan(1000);
            assertThat(response.getStatusCode().value()).isEqualTo(200);
            if ("success".equals(response.getBody())) {
                accepted.add(openid);
            } else {
                assertThat(new XmlMapper().readTree(response.getBody()).path("Content").asText()).isEqualTo(busy);
                turnedAway.add(openid);
            }
        }

        assertThat(turnedAway).as("some were turned away").isNotEmpty();
        assertThat(metrics.counter("oac.callbacks", "outcome", "busy",
                "account", "default").count() - busyBefore).as("and counted")
                .isEqualTo(turnedAway.size());
        assertThat(accepted).as("the queue took what it could").hasSizeGreaterThanOrEqualTo(3);
        awaitQuiet(java.time.Duration.ofSeconds(30));
        for (String openid : accepted) {
            assertThat(sendsTo(openid)).as("answered once").hasSize(1);
        }
        for (String openid : turnedAway) {
            assertThat(sendsTo(openid)).isEmpty();
            assertThat(redis.hasKey(keys.inbox(openid))).as("nothing recorded as accepted").isFalse();
        }
    }

    @Test
    void withoutAnAdminTokenTheAdminEndpointsDoNotExist() {
        assertThat(http.getForEntity("/admin/dead-letters", String.class).getStatusCode().value()).isEqualTo(404);
    }
}
