package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.oac.wechat.WechatCrypto;
import io.github.oac.wechat.WechatSignature;

/**
 * An account in compatible or safe mode (an EncodingAESKey is set): encrypted callbacks through the real route, key
 * rotation, and no way around msg_signature by sending plaintext.
 */
@TestPropertySource(properties = {
        // the published vector (A) key is current, vector (B)'s is the one being rotated out
        "chat.wechat.encoding-aes-key=" + RouteTestSupport.AES_KEY,
        "chat.wechat.encoding-aes-key-previous=" + RouteTestSupport.AES_KEY_PREVIOUS,
})
class SafeModeTest extends RouteTestSupport {

    private static final XmlMapper XML = new XmlMapper();
    private final WechatCrypto current = new WechatCrypto(AES_KEY, APP_ID);
    private final WechatCrypto previous = new WechatCrypto(AES_KEY_PREVIOUS, APP_ID);

    @Value("${chat.replies.welcome}")
    String welcome;

    @Test
    void safeModeTextIsDecryptedAnsweredAndAcknowledgedInPlain() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("decrypted fine");

        ResponseEntity<String> response = postEncrypted(current.encrypt(textMessage(openid, newMsgId(), "秘密问题")));

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(response.getBody()).isEqualTo("success");
        List<LoggedRequest> sends = await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(bodyOf(sends.get(0)).path("text").path("content").asText()).isEqualTo("decrypted fine");
        assertThat(modelCallsAsking("秘密问题")).hasSize(1);
    }

    @Test
    void aOnePartAnswerCostsAtMostFourRedisRoundTripsAsNoSignedRequestNeedsSpending() throws Exception {
        List<String> roundTrips = redisRoundTripsOfOneAnswer("short answer");

        assertThat(roundTrips).as(String.join("\n", roundTrips)).hasSizeLessThanOrEqualTo(4)
                .noneMatch(line -> line.contains("oac:replay:"));
    }

    @Test
    void compatibleModeUsesTheEncryptedCopyNotThePlaintextFields() {
        String openid = newOpenid();
        stubModelAnswer("ok");
        String inner = textMessage(openid, newMsgId(), "the encrypted question");
        String encrypt = current.encrypt(inner);
        String body = textMessage(openid, newMsgId(), "the plaintext copy")
                .replace("</xml>", "<Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>");

        postEncrypted(body, encrypt, null);

        await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(modelCallsAsking("the encrypted question")).hasSize(1);
        assertThat(modelCallsAsking("the plaintext copy")).isEmpty();
    }

    @Test
    void passiveReplyToAnEncryptedCallbackIsEncryptedAndSigned() throws Exception {
        String openid = newOpenid();
        String timestamp = now();
        String nonce = newNonce();

        ResponseEntity<String> response = postEncrypted(envelope(current.encrypt(eventMessage(openid, "subscribe",
                null))), null, timestamp, nonce);

        assertThat(response.getHeaders().getContentType().isCompatibleWith(MediaType.APPLICATION_XML)).isTrue();
        JsonNode reply = XML.readTree(response.getBody());
        String encrypt = reply.path("Encrypt").asText();
        assertThat(reply.path("MsgSignature").asText())
                .isEqualTo(WechatSignature.sign(TOKEN, reply.path("TimeStamp").asText(), reply.path("Nonce").asText(),
                        encrypt));
        JsonNode inner = XML.readTree(current.decrypt(encrypt));
        assertThat(inner.path("ToUserName").asText()).isEqualTo(openid);
        assertThat(inner.path("FromUserName").asText()).isEqualTo("gh_test");
        assertThat(inner.path("MsgType").asText()).isEqualTo("text");
        assertThat(inner.path("Content").asText()).isEqualTo(welcome);
    }

    @Test
    void messagesUnderThePreviousKeyAreAcceptedAndAnsweredUnderIt() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("rotated");

        ResponseEntity<String> text = postEncrypted(previous.encrypt(textMessage(openid, newMsgId(), "old key?")));
        ResponseEntity<String> subscribe = postEncrypted(previous.encrypt(eventMessage(openid, "subscribe", null)));

        assertThat(text.getBody()).isEqualTo("success");
        await(() -> sendsTo(openid), list -> !list.isEmpty());
        String encrypt = XML.readTree(subscribe.getBody()).path("Encrypt").asText();
        assertThat(XML.readTree(previous.decrypt(encrypt)).path("Content").asText()).isEqualTo(welcome);
    }

    @Test
    void aBadMsgSignatureIsForbiddenAndNothingIsQueued() {
        String openid = newOpenid();
        String encrypt = current.encrypt(textMessage(openid, newMsgId(), "tampered"));
        String timestamp = now();
        String nonce = newNonce();

        ResponseEntity<String> response = postCallback(envelope(encrypt), "signature="
                + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp=" + timestamp + "&nonce=" + nonce
                + "&encrypt_type=aes&msg_signature=" + WechatSignature.sign(TOKEN, timestamp, nonce, "other"));

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
        assertNothingQueuedFor(openid, "tampered");
    }

    @Test
    void badPaddingWrongAppIdAndBrokenBase64AreRefusedAndNothingIsQueued() {
        String openid = newOpenid();
        byte[] flipped = Base64.getDecoder().decode(current.encrypt(textMessage(openid, newMsgId(), "padding")));
        flipped[flipped.length - 1] ^= 0x5a;
        String badPadding = Base64.getEncoder().encodeToString(flipped);
        String otherAccount = new WechatCrypto(AES_KEY, "wx0000000000000000")
                .encrypt(textMessage(openid, newMsgId(), "padding"));

        for (String encrypt : List.of(badPadding, otherAccount, "%%%not-base64%%%", "AAAA")) {
            ResponseEntity<String> response = postEncrypted(envelope(encrypt), encrypt, now(), newNonce());
            assertThat(response.getStatusCode()).as(encrypt).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(response.getBody()).isEqualTo("bad request");
        }
        assertNothingQueuedFor(openid, "padding");
    }

    @Test
    void aPlaintextCallbackIsForbiddenWhenAKeyIsSetSoMsgSignatureCannotBeSkipped() {
        String openid = newOpenid();
        stubModelAnswer("must not happen");

        String timestamp1 = now();
        String nonce1 = newNonce();
        ResponseEntity<String> plain = postCallback(textMessage(openid, newMsgId(), "downgraded"),
                WechatSignature.sign(TOKEN, timestamp1, nonce1), timestamp1, nonce1);
        // the encrypted shape with encrypt_type left out, and with another value
        String encrypt = current.encrypt(textMessage(openid, newMsgId(), "downgraded"));
        String timestamp = now();
        String nonce = newNonce();
        ResponseEntity<String> withoutType = postCallback(envelope(encrypt), "signature="
                + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp=" + timestamp + "&nonce=" + nonce);
        String timestamp2 = now();
        String nonce2 = newNonce();
        ResponseEntity<String> otherType = postCallback(textMessage(openid, newMsgId(), "downgraded"), "signature="
                + WechatSignature.sign(TOKEN, timestamp2, nonce2) + "&timestamp=" + timestamp2 + "&nonce=" + nonce2
                + "&encrypt_type=raw");

        for (ResponseEntity<String> response : List.of(plain, withoutType, otherType)) {
            assertThat(response.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
            assertThat(response.getBody()).isEqualTo("forbidden");
        }
        assertNothingQueuedFor(openid, "downgraded");
    }

    // ---- helpers ----

    /** As WeChat sends callbacks to an account with a key (also the sentinel of assertNothingQueuedFor). */
    @Override
    protected ResponseEntity<String> postCallback(String xml) {
        return postEncrypted(current.encrypt(xml));
    }

    private ResponseEntity<String> postEncrypted(String encrypt) {
        return postEncrypted(envelope(encrypt), encrypt, now(), newNonce());
    }

    private ResponseEntity<String> postEncrypted(String body, String encrypt, String timestamp) {
        return postEncrypted(body, encrypt, timestamp == null ? now() : timestamp, newNonce());
    }

    /** Signed as WeChat signs safe-mode callbacks: signature over the query, msg_signature also over Encrypt. */
    private ResponseEntity<String> postEncrypted(String body, String encrypt, String timestamp, String nonce) {
        if (encrypt == null) {
            encrypt = body.substring(body.indexOf("<Encrypt><![CDATA[") + 18, body.indexOf("]]></Encrypt>"));
        }
        return postCallback(body, "signature=" + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp="
                + timestamp + "&nonce=" + nonce + "&openid=ignored&encrypt_type=aes&msg_signature="
                + WechatSignature.sign(TOKEN, timestamp, nonce, encrypt));
    }

    private static String envelope(String encrypt) {
        return "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[" + encrypt
                + "]]></Encrypt></xml>";
    }
}
