package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;

import io.github.oac.wechat.WechatCrypto;
import io.github.oac.wechat.WechatSignature;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Passive delivery, for accounts without the customer-service API, through the real routes and with WeChat's own
 * timing: a delivery without a response within 5 s is cut and sent again with the same query string, three
 * deliveries in all. Nothing is ever pushed. The account also has an EncodingAESKey (plaintext callbacks allowed, as
 * while switching modes), so one test checks the encrypted passive reply with the published algorithm.
 */
@TestPropertySource(properties = {
        "chat.delivery.mode=passive",
        "chat.openai.timeout=30000",
        "chat.wechat.encoding-aes-key=" + RouteTestSupport.AES_KEY,
        "chat.wechat.allow-plaintext=true",
})
class PassiveDeliveryTest extends RouteTestSupport {

    private static final XmlMapper XML = new XmlMapper();

    @Autowired
    MeterRegistry metrics;
    @Value("${chat.replies.thinking}")
    String thinking;
    @Value("${chat.replies.queued}")
    String queued;
    @Value("${chat.replies.continue-hint}")
    String continueHint;

    @Test
    void aSevenSecondAnswerRidesOnWechatsSecondDelivery() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("seven seconds"))
                .withFixedDelay(7000)));
        double passiveBefore = deliveries("passive");

        List<Delivery> deliveries = deliverAsWechat(textMessage(openid, newMsgId(), "take your time"), signedQuery(),
                3);

        assertThat(deliveries).hasSize(2);
        assertThat(deliveries.get(0).cut()).as("the first delivery gets no response, so WeChat sends again").isTrue();
        assertThat(passiveText(deliveries.get(1).body())).isEqualTo("seven seconds");
        awaitQuiet(Duration.ofSeconds(10));
        assertThat(modelCallsAsking("take your time")).as("asked once").hasSize(1);
        assertThat(sendsTo(openid)).as("nothing pushed").isEmpty();
        assertThat(deliveries("passive") - passiveBefore).isEqualTo(1);
        assertThat(metrics.get("oac.callbacks.waiting").gauge().value()).as("every waiting place given back")
                .isZero();
    }

    @Test
    void aTwentySecondAnswerGetsThePlaceholderAndTheFollowersNextMessagesCarryWhatIsOwed() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("twenty seconds"))
                .withFixedDelay(20000)));
        double placeholdersBefore = deliveries("placeholder");
        double pickupsBefore = deliveries("pickup");

        List<Delivery> deliveries = deliverAsWechat(textMessage(openid, newMsgId(), "think hard"), signedQuery(), 3);

        assertThat(deliveries).extracting(Delivery::cut).containsExactly(true, true, false);
        assertThat(passiveText(deliveries.get(2).body())).as("the last delivery gets the placeholder in time")
                .isEqualTo(thinking);
        assertThat(deliveries.get(2).millis()).isLessThan(5000);
        awaitTurnsFinished(openid);

        // a new question: it gets the owed answer, and is answered after it, for the next message to carry
        stubModelAnswer("the second answer");
        ResponseEntity<String> next = postCallback(textMessage(openid, newMsgId(), "and another thing"));
        assertThat(passiveText(next.getBody())).isEqualTo("twenty seconds\n\n" + queued);
        awaitTurnsFinished(openid);

        // a message of any kind carries what is owed, one that asks nothing too
        ResponseEntity<String> location = postCallback(locationMessage(openid));
        assertThat(passiveText(location.getBody())).isEqualTo("the second answer");

        awaitQuiet(Duration.ofSeconds(10));
        assertThat(modelCallsAsking("think hard")).hasSize(1);
        assertThat(modelCallsAsking("and another thing")).hasSize(1);
        assertThat(sendsTo(openid)).as("nothing pushed").isEmpty();
        assertThat(redis.hasKey(keys.outbox(openid))).as("nothing left owed").isFalse();
        assertThat(deliveries("placeholder") - placeholdersBefore).isEqualTo(1);
        assertThat(deliveries("pickup") - pickupsBefore).isEqualTo(2);
    }

    @Test
    void aLongAnswerGoesOutOneReplyAtATimeWithTheContinueHint() {
        String openid = newOpenid();
        String paragraph = LongText.THOUSAND_CHANG.substring(0, 500); // 1500 bytes
        stubModelAnswer(paragraph + "\n\n" + paragraph.replace('长', '短') + "\n\n" + paragraph.replace('长', '中'));

        String first = passiveText(postCallback(textMessage(openid, newMsgId(), "tell me everything")).getBody());
        String second = passiveText(postCallback(textMessage(openid, newMsgId(), "继续")).getBody());
        String third = passiveText(postCallback(textMessage(openid, newMsgId(), "继续")).getBody());
        String fourth = passiveText(postCallback(textMessage(openid, newMsgId(), "继续")).getBody());

        assertThat(first).isEqualTo(paragraph + "\n\n" + continueHint);
        assertThat(second).isEqualTo(paragraph.replace('长', '短') + "\n\n" + continueHint);
        assertThat(third).isEqualTo(paragraph.replace('长', '中'));
        assertThat(fourth).as("nothing more").isNotEqualTo(third).doesNotContain("中");
        for (String reply : List.of(first, second, third)) {
            assertThat(reply.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(2048);
        }
        awaitQuiet(Duration.ofSeconds(10));
        assertThat(modelCallsAsking("tell me everything")).hasSize(1);
        assertThat(sendsTo(openid)).isEmpty();
    }

    @Test
    void anEncryptedCallbacksPassiveAnswerIsEncryptedAndVerifiesWithThePublishedAlgorithm() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("加密的回答");
        String timestamp = now();
        String nonce = newNonce();
        String encrypt = new WechatCrypto(AES_KEY, APP_ID).encrypt(textMessage(openid, newMsgId(), "秘密"));

        ResponseEntity<String> response = postCallback("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt>"
                + "<![CDATA[" + encrypt + "]]></Encrypt></xml>", "signature=" + WechatSignature.sign(TOKEN,
                timestamp, nonce) + "&timestamp=" + timestamp + "&nonce=" + nonce
                + "&encrypt_type=aes&msg_signature=" + WechatSignature.sign(TOKEN, timestamp, nonce, encrypt));

        JsonNode reply = XML.readTree(response.getBody());
        String replyEncrypt = reply.path("Encrypt").asText();
        assertThat(reply.path("MsgSignature").asText()).as("sha1 of token, timestamp, nonce, Encrypt, sorted")
                .isEqualTo(sha1Sorted(TOKEN, reply.path("TimeStamp").asText(), reply.path("Nonce").asText(),
                        replyEncrypt));
        JsonNode inner = XML.readTree(decryptAsPublished(AES_KEY, replyEncrypt, APP_ID));
        assertThat(inner.path("ToUserName").asText()).isEqualTo(openid);
        assertThat(inner.path("MsgType").asText()).isEqualTo("text");
        assertThat(inner.path("Content").asText()).isEqualTo("加密的回答");
        awaitQuiet(Duration.ofSeconds(10));
        assertThat(sendsTo(openid)).isEmpty();
    }

    // ---- helpers ----

    private double deliveries(String path) {
        return metrics.counter("oac.deliveries", "path", path, "account", "default").count();
    }

    private static String locationMessage(String openid) {
        return "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[" + openid
                + "]]></FromUserName><CreateTime>" + now() + "</CreateTime><MsgType><![CDATA[location]]></MsgType>"
                + "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>"
                + "<Label><![CDATA[位置信息]]></Label><MsgId>" + newMsgId() + "</MsgId></xml>";
    }

    /** WeChat's published signature: SHA-1 over the parts sorted and joined, in hex. */
    private static String sha1Sorted(String... parts) throws Exception {
        String[] sorted = parts.clone();
        Arrays.sort(sorted);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                .digest(String.join("", sorted).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * WeChat's published decryption, written out independently of the service's WechatCrypto: AES-256-CBC with the
     * key's first 16 bytes as IV, PKCS#7 padding to 32 bytes, random(16) | length(4) | message | appid.
     */
    private static String decryptAsPublished(String encodingAesKey, String encrypt, String appId) throws Exception {
        byte[] key = Base64.getDecoder().decode(encodingAesKey + "=");
        Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(Arrays.copyOf(key, 16)));
        byte[] plain = cipher.doFinal(Base64.getDecoder().decode(encrypt));
        int pad = plain[plain.length - 1];
        assertThat(pad).isBetween(1, 32);
        byte[] unpadded = Arrays.copyOf(plain, plain.length - pad);
        int length = ByteBuffer.wrap(unpadded, 16, 4).getInt();
        String message = new String(unpadded, 20, length, StandardCharsets.UTF_8);
        assertThat(new String(unpadded, 20 + length, unpadded.length - 20 - length, StandardCharsets.UTF_8))
                .isEqualTo(appId);
        return message;
    }
}
