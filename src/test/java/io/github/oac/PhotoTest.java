package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

/**
 * Photos through the real routes: the fake WeChat serves the PicUrl and the media API, the fake model reads the
 * request. RouteTestSupport allows PicUrls on 127.0.0.1 only, at most 64 KB, kept 5 s.
 */
class PhotoTest extends RouteTestSupport {

    static final String MEDIA = "/cgi-bin/media/get";

    @org.springframework.beans.factory.annotation.Autowired
    io.micrometer.core.instrument.MeterRegistry metrics;

    @Value("${chat.vision.prompt}")
    String prompt;
    @Value("${chat.replies.image-too-large}")
    String tooLarge;
    @Value("${chat.replies.image-unreadable}")
    String unreadable;
    @Value("${chat.replies.image-unavailable}")
    String unavailable;
    @Value("${chat.replies.reset-done}")
    String resetDone;

    static byte[] jpeg(int size) {
        return TestImages.jpeg(size);
    }

    static byte[] png(int size) {
        return TestImages.png(size);
    }

    static String photoMessage(String openid, String msgId, String picUrl, String mediaId) {
        return "<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
                + "<FromUserName><![CDATA[" + openid + "]]></FromUserName>"
                + "<CreateTime>" + (System.currentTimeMillis() / 1000) + "</CreateTime>"
                + "<MsgType><![CDATA[image]]></MsgType>"
                + "<PicUrl><![CDATA[" + picUrl + "]]></PicUrl>"
                + "<MediaId><![CDATA[" + mediaId + "]]></MediaId>"
                + "<MsgId>" + msgId + "</MsgId></xml>";
    }

    /** The photo at a PicUrl on the fake WeChat (allowed: 127.0.0.1). */
    static String servePicture(String path, byte[] bytes) {
        stubs.stubFor(get(urlPathEqualTo(path)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "image/jpeg").withBody(bytes)));
        return "http://127.0.0.1:" + stubs.port() + path;
    }

    static void serveMedia(String mediaId, byte[] bytes) {
        stubs.stubFor(get(urlPathEqualTo(MEDIA)).withQueryParam("media_id", equalTo(mediaId))
                .withQueryParam("access_token", equalTo(ACCESS_TOKEN))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "image/png").withBody(bytes)));
    }

    /** The model answers any request that carries a photo. */
    static void stubPhotoAnswer(String answer) {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing("\"image_url\""))
                .atPriority(1).willReturn(okJson(completion(answer))));
    }

    static List<LoggedRequest> photoCalls() {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing("\"image_url\"")));
    }

    JsonNode lastMessage(LoggedRequest request) throws Exception {
        JsonNode messages = bodyOf(request).path("messages");
        return messages.get(messages.size() - 1);
    }

    static String dataUrl(String type, byte[] bytes) {
        return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    void send(String openid, String xml, int answers) {
        assertThat(postCallback(xml).getBody()).isEqualTo("success");
        await(() -> sendsTo(openid), list -> list.size() >= answers);
        awaitTurnsFinished(openid);
    }

    @Test
    void aPhotoIsAnsweredAndTheModelGetsItsExactBytesAsADataUrl() throws Exception {
        String openid = newOpenid();
        byte[] photo = jpeg(40_000);
        String picUrl = servePicture("/mmbiz/" + openid + ".jpg", photo);
        stubPhotoAnswer("这是一盆绿萝。");

        send(openid, photoMessage(openid, newMsgId(), picUrl, "MEDIA_" + openid), 1);

        assertThat(textsSentTo(openid)).containsExactly("这是一盆绿萝。");
        assertThat(photoCalls()).hasSize(1);
        JsonNode body = bodyOf(photoCalls().get(0));
        assertThat(body.path("model").asText()).isEqualTo("test-model");
        JsonNode parts = lastMessage(photoCalls().get(0)).path("content");
        assertThat(parts.get(0).path("type").asText()).isEqualTo("text");
        assertThat(parts.get(0).path("text").asText()).isEqualTo(prompt);
        assertThat(parts.get(1).path("type").asText()).isEqualTo("image_url");
        assertThat(parts.get(1).path("image_url").path("url").asText()).isEqualTo(dataUrl("image/jpeg", photo));
        stubs.verify(0, getRequestedFor(urlPathEqualTo(MEDIA)));
        assertThat(redis.opsForValue().get(keys.memory(openid))).as("remembered as a placeholder, not bytes")
                .contains("[图片]").contains("这是一盆绿萝。").doesNotContain("base64");
    }

    @Test
    void aPicUrlOffTheListIsNeverRequestedAndTheMediaApiGivesThePhoto() throws Exception {
        String openid = newOpenid();
        byte[] photo = png(30_000);
        // the same fake server, under a name that is not on the list
        String elsewhere = "http://localhost:" + stubs.port() + "/internal/" + openid + ".jpg";
        double fromMedia = photos("read", "media");
        stubs.stubFor(get(urlPathMatching("/internal/.*")).willReturn(aResponse().withStatus(200).withBody(jpeg(100))));
        serveMedia("MEDIA_" + openid, photo);
        stubPhotoAnswer("一张截图。");

        send(openid, photoMessage(openid, newMsgId(), elsewhere, "MEDIA_" + openid), 1);

        assertThat(textsSentTo(openid)).containsExactly("一张截图。");
        stubs.verify(0, getRequestedFor(urlPathMatching("/internal/.*")));
        stubs.verify(1, getRequestedFor(urlPathEqualTo(MEDIA)));
        assertThat(lastMessage(photoCalls().get(0)).path("content").get(1).path("image_url").path("url").asText())
                .isEqualTo(dataUrl("image/png", photo));
        assertThat(photos("read", "media") - fromMedia).isEqualTo(1);
    }

    double photos(String outcome, String source) {
        var counter = metrics.find("oac.photos").tags("outcome", outcome, "source", source).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aFailingPicUrlFallsBackToTheMediaApiWithAFreshTokenWhenWechatRefusesTheOldOne() throws Exception {
        String openid = newOpenid();
        byte[] photo = png(20_000);
        String picUrl = "http://127.0.0.1:" + stubs.port() + "/gone/" + openid + ".jpg";
        stubs.stubFor(get(urlPathMatching("/gone/.*")).willReturn(aResponse().withStatus(404)));
        // the cached token is refused once: the media call is made again with a fresh one
        stubs.stubFor(get(urlPathEqualTo(MEDIA)).withQueryParam("access_token", equalTo("STALE")).willReturn(
                okJson("{\"errcode\":40001,\"errmsg\":\"invalid credential\"}")));
        serveMedia("MEDIA_" + openid, photo);
        redis.opsForValue().set(keys.token(APP_ID), "STALE", java.time.Duration.ofMinutes(10));
        stubPhotoAnswer("一只猫。");

        send(openid, photoMessage(openid, newMsgId(), picUrl, "MEDIA_" + openid), 1);

        assertThat(textsSentTo(openid)).containsExactly("一只猫。");
        stubs.verify(1, getRequestedFor(urlPathMatching("/gone/.*")));
        stubs.verify(2, getRequestedFor(urlPathEqualTo(MEDIA)));
    }

    @Test
    void aPhotoTooLargeGetsItsReplyAndNoModelCall() {
        String openid = newOpenid();
        double tooLargeBefore = photos("too-large", "none");
        String picUrl = servePicture("/big/" + openid + ".jpg", jpeg(65 * 1024 + 1));

        send(openid, photoMessage(openid, newMsgId(), picUrl, "MEDIA_" + openid), 1);

        assertThat(textsSentTo(openid)).containsExactly(tooLarge);
        assertThat(photos("too-large", "none") - tooLargeBefore).isEqualTo(1);
        assertThat(photoCalls()).isEmpty();
        stubs.verify(0, getRequestedFor(urlPathEqualTo(MEDIA)));
    }

    @Test
    void bytesThatAreNoImageGetTheirReplyAndNoModelCall() {
        String openid = newOpenid();
        byte[] page = "<html>not a photo</html>".getBytes();
        String picUrl = servePicture("/html/" + openid + ".jpg", page);
        serveMedia("MEDIA_" + openid, page);

        send(openid, photoMessage(openid, newMsgId(), picUrl, "MEDIA_" + openid), 1);

        assertThat(textsSentTo(openid)).containsExactly(unreadable);
        assertThat(photoCalls()).isEmpty();
    }

    @Test
    void aPhotoNeitherSourceGivesGetsItsReplyAndNoModelCall() {
        String openid = newOpenid();
        String picUrl = "http://127.0.0.1:" + stubs.port() + "/broken/" + openid + ".jpg";
        stubs.stubFor(get(urlPathMatching("/broken/.*")).willReturn(aResponse().withStatus(500)));
        stubs.stubFor(get(urlPathEqualTo(MEDIA)).willReturn(
                okJson("{\"errcode\":40007,\"errmsg\":\"invalid media_id\"}")));

        send(openid, photoMessage(openid, newMsgId(), picUrl, "MEDIA_" + openid), 1);

        assertThat(textsSentTo(openid)).containsExactly(unavailable);
        assertThat(photoCalls()).isEmpty();
    }

    @Test
    void aTextQuestionSoonAfterAPhotoCarriesItAndOnceItsTimeIsUpItDoesNot() throws Exception {
        String openid = newOpenid();
        byte[] photo = jpeg(10_000);
        String picUrl = servePicture("/plant/" + openid + ".jpg", photo);
        stubPhotoAnswer("一盆植物。");
        stubAnswer("现在呢？", "没有图片。", 0);

        send(openid, photoMessage(openid, newMsgId(), picUrl, "MEDIA_" + openid), 1);
        send(openid, textMessage(openid, newMsgId(), "这是什么植物？"), 2);

        assertThat(photoCalls()).hasSize(2);
        JsonNode followUp = bodyOf(photoCalls().get(1)).path("messages");
        JsonNode last = followUp.get(followUp.size() - 1);
        assertThat(last.path("content").get(0).path("text").asText()).isEqualTo("这是什么植物？");
        assertThat(last.path("content").get(1).path("image_url").path("url").asText())
                .isEqualTo(dataUrl("image/jpeg", photo));
        assertThat(followUp.get(followUp.size() - 3).path("content").asText()).as("the photo's exchange, remembered")
                .isEqualTo("[图片]");
        assertThat(followUp.get(followUp.size() - 2).path("content").asText()).isEqualTo("一盆植物。");
        stubs.verify(2, getRequestedFor(urlPathEqualTo("/plant/" + openid + ".jpg")));

        await(() -> redis.hasKey(keys.photo(openid)), Boolean.FALSE::equals); // chat.vision.keep (5 s) is over
        send(openid, textMessage(openid, newMsgId(), "现在呢？"), 3);

        assertThat(textsSentTo(openid).get(2)).isEqualTo("没有图片。");
        assertThat(photoCalls()).hasSize(2);
    }

    @Test
    void aResetForgetsThePhotoWithTheConversation() {
        String openid = newOpenid();
        String picUrl = servePicture("/reset/" + openid + ".jpg", jpeg(5_000));
        stubPhotoAnswer("一张照片。");
        stubAnswer("还记得吗？", "不记得了。", 0);

        send(openid, photoMessage(openid, newMsgId(), picUrl, "MEDIA_" + openid), 1);
        send(openid, textMessage(openid, newMsgId(), "重置"), 2);
        send(openid, textMessage(openid, newMsgId(), "还记得吗？"), 3);

        assertThat(textsSentTo(openid)).containsExactly("一张照片。", resetDone, "不记得了。");
        assertThat(photoCalls()).hasSize(1);
        assertThat(redis.hasKey(keys.photo(openid))).isFalse();
    }

    @Test
    void aRedirectIsNotFollowedAndATricklingPicUrlIsCutOffAtTheFetchTimeout() {
        String openid = newOpenid();
        byte[] photo = png(8_000);
        serveMedia("MEDIA_" + openid, photo);
        stubPhotoAnswer("从媒体接口取到的图片。");
        stubs.stubFor(get(urlPathMatching("/moved/.*")).willReturn(aResponse().withStatus(302)
                .withHeader("Location", "http://localhost:" + stubs.port() + "/internal/secret")));
        stubs.stubFor(get(urlPathMatching("/internal/.*")).willReturn(aResponse().withStatus(200).withBody(jpeg(100))));
        // 40 KB over 6 s: each chunk comes in time, the whole does not (chat.vision.fetch-timeout is 2 s here)
        stubs.stubFor(get(urlPathMatching("/slow/.*")).willReturn(aResponse().withStatus(200).withBody(jpeg(40_000))
                .withChunkedDribbleDelay(40, 6_000)));

        long start = System.nanoTime();
        send(openid, photoMessage(openid, newMsgId(), "http://127.0.0.1:" + stubs.port() + "/moved/a.jpg",
                "MEDIA_" + openid), 1);
        send(openid, photoMessage(openid, newMsgId(), "http://127.0.0.1:" + stubs.port() + "/slow/b.jpg",
                "MEDIA_" + openid), 2);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(textsSentTo(openid)).containsExactly("从媒体接口取到的图片。", "从媒体接口取到的图片。");
        stubs.verify(0, getRequestedFor(urlPathMatching("/internal/.*")));
        stubs.verify(2, getRequestedFor(urlPathEqualTo(MEDIA)));
        assertThat(millis).as("the trickle was cut off, not waited for").isLessThan(5_500);
    }
}
