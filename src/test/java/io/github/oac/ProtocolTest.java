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

/** Every message type and event in plaintext mode, through the real route (encrypted modes: SafeModeTest). */
class ProtocolTest extends RouteTestSupport {

    private static final XmlMapper XML = new XmlMapper();

    @Value("${chat.replies.welcome}")
    String welcome;
    @Value("${chat.replies.unsupported}")
    String unsupported;
    @Value("${chat.replies.voice-unrecognised}")
    String voiceUnrecognised;

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
        // a photo is a question (PhotoTest); an image message with nowhere to get it from is not
        for (String type : List.of("video", "shortvideo", "location", "link", "miniprogrampage", "whatever")) {
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
        List<String> theirs = List.of(keys.memory(openid), keys.pending(openid), keys.rate(openid));
        theirs.forEach(key -> redis.opsForValue().set(key, "x"));
        redis.opsForValue().set(keys.memory("someone-else"), "kept");

        ResponseEntity<String> response = postCallback(eventMessage(openid, "unsubscribe", null));

        assertThat(response.getBody()).isEqualTo("success");
        assertThat(redis.countExistingKeys(theirs)).isZero();
        assertThat(redis.hasKey(keys.memory("someone-else"))).isTrue();
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
}
