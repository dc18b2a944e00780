package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static io.github.oac.it.WechatSide.awaitTrue;
import static io.github.oac.it.WechatSide.deliver;
import static io.github.oac.it.WechatSide.newMsgId;
import static io.github.oac.it.WechatSide.serviceEnv;
import static io.github.oac.it.WechatSide.signedQuery;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import redis.clients.jedis.Jedis;

/**
 * A photo's turn killed between the fetch and the answer: the bytes were never stored, so the instance that resumes
 * it fetches the photo again, and the follower gets the answer once. Also times a 5 MiB photo from its callback to
 * the model request (printed, for the performance notes; asserted only within a generous bound).
 */
class PhotoCrashIT {

    private static final String TOKEN = "ittoken";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final String COMPLETIONS = "/v1/chat/completions";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ProcessHarness harness = new ProcessHarness();
    private static final WireMockServer stubs = harness.stubs();
    private static Jedis redis;

    @BeforeAll
    static void lookIntoRedis() {
        redis = harness.redis();
    }

    @Test
    void aPhotoTurnKilledBeforeItsAnswerIsFetchedAgainAndAnsweredOnce() throws Exception {
        String openid = "ophoto" + ThreadLocalRandom.current().nextInt(1_000_000);
        String picPath = "/mmbiz/" + openid + ".jpg";
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token"))
                .willReturn(okJson("{\"access_token\":\"IT_TOKEN\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(get(urlPathEqualTo(picPath)).willReturn(aResponse().withStatus(200).withBody(io.github.oac.TestImages.jpeg(50_000))));
        stubModel("never sent", 120_000);

        try (ServiceProcess first = ServiceProcess.start("photo-crash-first", env())) {
            assertThat(deliver(first, photo(openid, newMsgId(), picPath), signedQuery(TOKEN))).isEqualTo("success");
            awaitTrue(Duration.ofSeconds(20), () -> !photoCalls().isEmpty());
            first.kill(); // fetched, asked, not answered: the lease is held by a dead process
        }
        stubModel("the answer about the photo", 0); // the newest of equal priority wins

        try (ServiceProcess second = ServiceProcess.start("photo-crash-second", env())) {
            awaitTrue(Duration.ofSeconds(60), () -> sentTexts(openid).size() == 1
                    && redis.keys("oac:{*}:inbox").isEmpty() && redis.keys("oac:{*}:progress:*").isEmpty());
            assertThat(sentTexts(openid)).as("answered exactly once").containsExactly("the answer about the photo");
            stubs.verify(2, getRequestedFor(urlPathEqualTo(picPath)));
            assertThat(photoCalls()).as("asked once by each instance").hasSize(2);

            // 5 MiB, as a phone's photo may be: from the callback to the model request
            String big = "/mmbiz/" + openid + "-5mib.jpg";
            stubs.stubFor(get(urlPathEqualTo(big)).willReturn(aResponse().withStatus(200)
                    .withBody(io.github.oac.TestImages.jpeg(5 * 1024 * 1024))));
            int before = photoCalls().size();
            long start = System.currentTimeMillis();
            assertThat(deliver(second, photo(openid, newMsgId(), big), signedQuery(TOKEN))).isEqualTo("success");
            awaitTrue(Duration.ofSeconds(60), () -> sentTexts(openid).size() == 2);
            LoggedRequest asked = photoCalls().get(before);
            long millis = asked.getLoggedDate().getTime() - start;
            System.out.println("A 5 MiB photo: " + millis + " ms from its callback to the model request ("
                    + asked.getBody().length + " bytes of request)");
            assertThat(asked.getBody().length).isGreaterThan(5 * 1024 * 1024 * 4 / 3);
            assertThat(millis).as("generous: seconds, not minutes").isLessThan(30_000);
        }
    }

    private static Map<String, String> env() {
        Map<String, String> env = serviceEnv(TOKEN, stubs.baseUrl(), harness.redisPort(), "push");
        env.put("CHAT_OPENAI_TIMEOUT", "180000");
        env.put("CHAT_WECHAT_TYPING", "false");
        env.put("CHAT_VISION_IMAGE_HOSTS", "127.0.0.1");
        return env;
    }

    private static String photo(String openid, String msgId, String path) {
        return "<xml><ToUserName><![CDATA[gh_it]]></ToUserName><FromUserName><![CDATA[" + openid
                + "]]></FromUserName><CreateTime>" + System.currentTimeMillis() / 1000 + "</CreateTime>"
                + "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://127.0.0.1:" + stubs.port() + path
                + "]]></PicUrl><MediaId><![CDATA[MEDIA]]></MediaId><MsgId>" + msgId + "</MsgId></xml>";
    }

    private static void stubModel(String answer, int delayMillis) throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing("\"image_url\""))
                .willReturn(okJson(JSON.writeValueAsString(Map.of("choices", List.of(Map.of("message",
                        Map.of("role", "assistant", "content", answer)))))).withFixedDelay(delayMillis)));
    }

    private static List<LoggedRequest> photoCalls() {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing("\"image_url\"")))
                .stream().sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
    }

    private static List<String> sentTexts(String openid) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND)).withRequestBody(containing(openid))).stream()
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate))
                .map(request -> {
                    try {
                        return JSON.readTree(request.getBodyAsString()).path("text").path("content").asText();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }).toList();
    }
}
