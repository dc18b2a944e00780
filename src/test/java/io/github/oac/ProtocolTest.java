package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.oac.wechat.WechatCrypto;
import io.github.oac.wechat.WechatSignature;

/** Every message type and event, in plaintext and encrypted (compatible and safe) mode, through the real route. */
class ProtocolTest extends RouteTestSupport {

    private static final XmlMapper XML = new XmlMapper();
    private final WechatCrypto current = new WechatCrypto(AES_KEY, APP_ID);
    private final WechatCrypto previous = new WechatCrypto(AES_KEY_PREVIOUS, APP_ID);

    @Value("${chat.replies.welcome}")
    String welcome;
    @Value("${chat.replies.unsupported}")
    String unsupported;
    @Value("${chat.replies.voice-unrecognised}")
    String voiceUnrecognised;

    // ---- encrypted callbacks ----

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

    // ---- message types ----

    @Test
    void recognisedVoiceIsAnsweredLikeText() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("heard you");

        postCallback(voice(openid, "语音里的问题"));

        List<LoggedRequest> sends = await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(bodyOf(sends.get(0)).path("text").path("content").asText()).isEqualTo("heard you");
        assertThat(modelCallsAsking("语音里的问题")).hasSize(1);
    }

    @Test
    void unrecognisedVoiceGetsAPoliteReplyAndNoModelCall() throws Exception {
        String openid = newOpenid();

        for (String voice : List.of(voice(openid, ""), voice(openid, null))) {
            ResponseEntity<String> response = postCallback(voice);
            assertThat(replyContent(response)).isEqualTo(voiceUnrecognised);
        }
        assertNothingQueuedFor(openid, "");
    }

    @Test
    void otherMessageTypesGetThePoliteUnsupportedReply() throws Exception {
        String openid = newOpenid();
        for (String type : List.of("image", "video", "shortvideo", "location", "link", "miniprogrampage", "whatever")) {
            String xml = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[" + openid
                    + "]]></FromUserName><CreateTime>" + now() + "</CreateTime><MsgType><![CDATA[" + type
                    + "]]></MsgType><PicUrl><![CDATA[http://x/y.jpg]]></PicUrl><MsgId>" + newMsgId()
                    + "</MsgId></xml>";

            ResponseEntity<String> response = postCallback(xml);

            assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
            JsonNode reply = XML.readTree(response.getBody());
            assertThat(reply.path("ToUserName").asText()).as(type).isEqualTo(openid);
            assertThat(reply.path("Content").asText()).as(type).isEqualTo(unsupported);
        }
        assertNothingQueuedFor(openid, "");
    }

    @Test
    void subscribeIsWelcomedWithoutAModelCall() throws Exception {
        String openid = newOpenid();

        assertThat(replyContent(postCallback(eventMessage(openid, "subscribe", "qrscene_42")))).isEqualTo(welcome);
        assertNothingQueuedFor(openid, "");
    }

    @Test
    void unsubscribeDeletesTheFollowersState() {
        String openid = newOpenid();
        List<String> keys = List.of("oac:memory:" + openid, "oac:pending:" + openid, "oac:rate:" + openid);
        keys.forEach(key -> redis.opsForValue().set(key, "x"));
        redis.opsForValue().set("oac:memory:someone-else", "kept");

        ResponseEntity<String> response = postCallback(eventMessage(openid, "unsubscribe", null));

        assertThat(response.getBody()).isEqualTo("success");
        assertThat(redis.countExistingKeys(keys)).isZero();
        assertThat(redis.hasKey("oac:memory:someone-else")).isTrue();
    }

    @Test
    void otherEventsAreAcknowledgedSilently() {
        String openid = newOpenid();
        for (String event : List.of("SCAN", "LOCATION", "VIEW", "TEMPLATESENDJOBFINISH")) {
            ResponseEntity<String> response = postCallback(eventMessage(openid, event, "k"));
            assertThat(response.getBody()).as(event).isEqualTo("success");
        }
        assertNothingQueuedFor(openid, "");
    }

    @Test
    void menuClicksGetTheirConfiguredReplyAndUnknownKeysSuccess() throws Exception {
        String openid = newOpenid();

        assertThat(replyContent(postCallback(eventMessage(openid, "CLICK", "HELP")))).isEqualTo("发文字给我即可提问");
        assertThat(postCallback(eventMessage(openid, "click", "NOT_CONFIGURED")).getBody()).isEqualTo("success");
    }

    @Test
    void passiveReplyKeepsACdataTerminatorAndIsCutTo2048BytesOnACharacterBoundary() throws Exception {
        ResponseEntity<String> response = postCallback(eventMessage(newOpenid(), "CLICK", "LONG"));

        String content = replyContent(response);
        assertThat(content).startsWith("]]>长");
        assertThat(content.getBytes(StandardCharsets.UTF_8).length).isEqualTo(3 + 3 * 681).isLessThanOrEqualTo(2048);
        assertThat(LONG_CLICK_REPLY).startsWith(content);
    }

    @Test
    void msgIdsBeyondDoublePrecisionStayDistinct() {
        String openid = newOpenid();
        stubModelAnswer("distinct");

        postCallback(textMessage(openid, "9007199254740993", "first of two"));
        postCallback(textMessage(openid, "9007199254740992", "second of two"));

        await(() -> sendsTo(openid), list -> list.size() == 2);
        assertThat(modelCallsAsking("first of two")).hasSize(1);
        assertThat(modelCallsAsking("second of two")).hasSize(1);
    }

    // ---- helpers ----

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

    private static String voice(String openid, String recognition) {
        return "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[" + openid
                + "]]></FromUserName><CreateTime>" + now() + "</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
                + "<MediaId><![CDATA[media]]></MediaId><Format><![CDATA[amr]]></Format>"
                + (recognition == null ? "" : "<Recognition><![CDATA[" + recognition + "]]></Recognition>")
                + "<MsgId>" + newMsgId() + "</MsgId></xml>";
    }

    private static String replyContent(ResponseEntity<String> response) throws Exception {
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        return XML.readTree(response.getBody()).path("Content").asText();
    }

    /** Nothing reached the model or WeChat for this follower (checked after a later message went all the way). */
    private void assertNothingQueuedFor(String openid, String question) {
        String sentinel = newOpenid();
        stubModelAnswer("sentinel");
        postCallback(textMessage(sentinel, newMsgId(), "sentinel for " + openid));
        await(() -> sendsTo(sentinel), list -> !list.isEmpty());
        assertThat(sendsTo(openid)).isEmpty();
        if (!question.isEmpty()) {
            assertThat(modelCallsAsking(question)).isEmpty();
        }
        stubs.verify(0, postRequestedFor(urlPathEqualTo(SEND)).withRequestBody(
                com.github.tomakehurst.wiremock.client.WireMock.containing(openid)));
    }
}
