package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Hybrid delivery through the real routes: an answer ready within chat.delivery.passive-wait that fits one reply
 * goes back in the callback's own reply, with no customer-service call; a slower or longer one is pushed, once.
 */
@org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
@TestPropertySource(properties = {"chat.delivery.mode=hybrid", "chat.openai.timeout=15000",
        "chat.callback.dedup-ttl=3s"})
class HybridDeliveryTest extends RouteTestSupport {

    @Autowired
    MeterRegistry metrics;

    @Test
    void aFastAnswerIsTheCallbacksPassiveReplyAndNothingIsPushed() {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("**fast** answer"))
                .withFixedDelay(100)));
        double passiveBefore = deliveries("passive");

        ResponseEntity<String> response = postCallback(textMessage(openid, newMsgId(), "quick one"));

        assertThat(response.getHeaders().getContentType().isCompatibleWith(MediaType.APPLICATION_XML)).isTrue();
        assertThat(passiveText(response.getBody())).isEqualTo("fast answer");
        assertThat(response.getBody()).contains("<ToUserName><![CDATA[" + openid + "]]>");
        awaitQuiet(java.time.Duration.ofSeconds(10));
        assertThat(sendsTo(openid)).as("no customer-service message").isEmpty();
        assertThat(modelCallsAsking("quick one")).hasSize(1);
        assertThat(deliveries("passive") - passiveBefore).isEqualTo(1);
    }

    @Test
    void aPhotoAnsweredInTimeIsTheCallbacksPassiveReply() {
        String openid = newOpenid();
        String picUrl = PhotoTest.servePicture("/hybrid/" + openid + ".jpg", PhotoTest.jpeg(3_000));
        PhotoTest.stubPhotoAnswer("一张**照片**。");

        ResponseEntity<String> response = postCallback(PhotoTest.photoMessage(openid, newMsgId(), picUrl, "M1"));

        assertThat(passiveText(response.getBody())).isEqualTo("一张照片。");
        awaitQuiet(java.time.Duration.ofSeconds(10));
        assertThat(sendsTo(openid)).as("no customer-service message").isEmpty();
        assertThat(PhotoTest.photoCalls()).hasSize(1);
    }

    @Test
    void aClientsOwnArrivalTimeHeaderIsNeverBelieved() {
        // the wait counts from when the request reached the service (CallbackGate's note, as the oac-arrived-at
        // header); a client claiming it arrived in 1970 would otherwise make the callback give up at once
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("still in time"))
                .withFixedDelay(100)));
        String timestamp = now();
        String nonce = newNonce();
        org.springframework.http.HttpHeaders headers = new org.springframework.http.HttpHeaders();
        headers.setContentType(MediaType.TEXT_XML);
        headers.set("oac-arrived-at", "0");

        ResponseEntity<String> response = http.postForEntity("/wechat?signature="
                        + io.github.oac.wechat.WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp=" + timestamp
                        + "&nonce=" + nonce,
                new org.springframework.http.HttpEntity<>(textMessage(openid, newMsgId(), "when did I arrive?"), headers),
                String.class);

        assertThat(passiveText(response.getBody())).isEqualTo("still in time");
        awaitQuiet(java.time.Duration.ofSeconds(10));
        assertThat(sendsTo(openid)).as("no customer-service message").isEmpty();
    }

    @Test
    void aSlowAnswerIsPushedOnceAfterTheCallbackAnsweredSuccessInTime() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("slow answer"))
                .withFixedDelay(6000)));

        List<Delivery> deliveries = deliverAsWechat(textMessage(openid, newMsgId(), "slow one"), signedQuery(), 3);

        assertThat(deliveries).hasSize(1);
        assertThat(deliveries.get(0).cut()).as("answered within WeChat's 5 s").isFalse();
        assertThat(deliveries.get(0).body()).isEqualTo("success");
        assertThat(deliveries.get(0).millis()).isLessThan(5000);
        await(() -> textsSentTo(openid), texts -> !texts.isEmpty());
        awaitQuiet(java.time.Duration.ofSeconds(10));
        assertThat(textsSentTo(openid)).containsExactly("slow answer");
    }

    @Test
    void anAnswerTooLongForOneReplyIsPushedAtOnce() {
        String openid = newOpenid();
        String paragraph = LongText.THOUSAND_CHANG.substring(0, 300);
        stubModelAnswer(paragraph + "\n\n" + paragraph + "\n\n" + paragraph);

        ResponseEntity<String> response = postCallback(textMessage(openid, newMsgId(), "a long one"));

        assertThat(response.getBody()).isEqualTo("success");
        await(() -> textsSentTo(openid), texts -> texts.size() == 2);
        awaitQuiet(java.time.Duration.ofSeconds(10));
        assertThat(String.join("", textsSentTo(openid)).replace("\n", "")).isEqualTo(paragraph.repeat(3));
    }

    @Test
    void aRedeliveryOfAnAnsweredMessageGetsTheSameReplyAndNothingMoreHappens() {
        String openid = newOpenid();
        stubModelAnswer("once");
        String xml = textMessage(openid, newMsgId(), "asked once");
        String query = signedQuery();

        double passiveBefore = deliveries("passive");
        ResponseEntity<String> first = postCallback(xml, query);
        // WeChat lost the first response and sends the message again, with the very same query string
        ResponseEntity<String> again = postCallback(xml, query);

        assertThat(passiveText(first.getBody())).isEqualTo("once");
        assertThat(passiveText(again.getBody())).isEqualTo("once");
        awaitQuiet(java.time.Duration.ofSeconds(10));
        assertThat(modelCallsAsking("asked once")).hasSize(1);
        assertThat(sendsTo(openid)).isEmpty();
        assertThat(deliveries("passive") - passiveBefore).as("one answer handed out, repeated once").isEqualTo(1);
    }

    @Test
    void aReusedSignedRequestIsNeverAdmittedAgainEvenAfterItsDeduplicationLapsed() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("only once");
        String xml = textMessage(openid, newMsgId(), "asked before the lapse");
        String query = signedQuery();

        assertThat(passiveText(postCallback(xml, query).getBody())).isEqualTo("only once");
        Thread.sleep(3500); // chat.callback.dedup-ttl (3 s here) lapses; the signed request is still in its window
        ResponseEntity<String> again = postCallback(xml, query);

        assertThat(again.getBody()).isEqualTo("success");
        awaitQuiet(java.time.Duration.ofSeconds(10));
        assertThat(modelCallsAsking("asked before the lapse")).as("answered once").hasSize(1);
    }

    @Test
    void theSameSignedRequestWithAnotherMessageIsStillAReplay() {
        String openid = newOpenid();
        stubModelAnswer("only the first");
        String query = signedQuery();

        ResponseEntity<String> first = postCallback(textMessage(openid, newMsgId(), "genuine"), query);
        // someone replays the captured URL with a message of their own
        ResponseEntity<String> forged = postCallback(textMessage(newOpenid(), newMsgId(), "forged"), query);

        assertThat(passiveText(first.getBody())).isEqualTo("only the first");
        assertThat(forged.getBody()).isEqualTo("success");
        awaitQuiet(java.time.Duration.ofSeconds(10));
        assertThat(modelCallsAsking("forged")).isEmpty();
    }

    @Test
    void eachAnsweredMessageHasOneInfoLineWithAMaskedOpenidAndNoText(
            org.springframework.boot.test.system.CapturedOutput log) {
        String openid = newOpenid();
        String msgId = newMsgId();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson("{\"choices\":[{\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"the private answer\"}}],\"usage\":{\"prompt_tokens\":21,"
                + "\"completion_tokens\":4}}")));

        assertThat(passiveText(postCallback(textMessage(openid, msgId, "a private question")).getBody()))
                .isEqualTo("the private answer");
        awaitQuiet(java.time.Duration.ofSeconds(10));

        List<String> lines = log.getAll().lines().filter(line -> line.contains("Answered " + msgId)).toList();
        assertThat(lines).singleElement().asString().contains(" INFO ")
                .contains(openid.substring(0, 4) + "…" + openid.substring(openid.length() - 4))
                .contains("offered").contains("25 tokens (21 prompt + 4 completion)");
        assertThat(log.getAll()).as("no whole openid, question or answer in the log")
                .doesNotContain(openid).doesNotContain("a private question").doesNotContain("the private answer");
    }

    private double deliveries(String path) {
        return metrics.counter("oac.deliveries", "path", path, "account", "default").count();
    }
}
