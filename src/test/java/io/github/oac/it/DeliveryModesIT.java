package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static io.github.oac.it.WechatSide.awaitTrue;
import static io.github.oac.it.WechatSide.deliver;
import static io.github.oac.it.WechatSide.newMsgId;
import static io.github.oac.it.WechatSide.passiveText;
import static io.github.oac.it.WechatSide.serviceEnv;
import static io.github.oac.it.WechatSide.signedQuery;
import static io.github.oac.it.WechatSide.text;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.github.tomakehurst.wiremock.WireMockServer;

import redis.clients.jedis.Jedis;

/**
 * Hybrid and passive delivery as separate processes sharing one Redis, as WeChat sees them: a delivery without a
 * response in 5 s is cut and sent again with the same query string, to whichever instance the load balancer picks.
 */
class DeliveryModesIT {

    /** The service's key names, as it builds them (default prefix). */
    private static final io.github.oac.store.Keys keys = new io.github.oac.store.Keys("oac:");

    private static final String TOKEN = "ittoken";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final String COMPLETIONS = "/v1/chat/completions";

    @RegisterExtension
    static final ProcessHarness harness = new ProcessHarness();
    private static final WireMockServer stubs = harness.stubs();
    private static Jedis redis;

    @BeforeAll
    static void lookIntoRedis() {
        redis = harness.redis();
    }

    @BeforeEach
    void reset() {
        stubs.resetAll();
        redis.flushDB();
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/stable_token"))
                .willReturn(okJson("{\"access_token\":\"IT_TOKEN\",\"expires_in\":7200}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(post(urlPathEqualTo("/cgi-bin/message/custom/typing"))
                .willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
    }

    @Test
    void anAnswerOwedAfterThePlaceholderIsHandedOutAfterTheServiceWasKilled() throws Exception {
        stubModel("owed answer", 16_000);
        String openid = "opassive" + ThreadLocalRandom.current().nextInt(1_000_000);
        String xml = text(openid, newMsgId(), "think long");
        String query = signedQuery(TOKEN);
        ServiceProcess first = ServiceProcess.start("passive-first", env("passive"));
        try {
            List<String> deliveries = List.of(deliver(first, xml, query), deliver(first, xml, query),
                    deliver(first, xml, query));
            assertThat(deliveries.subList(0, 2)).containsOnly("cut");
            assertThat(passiveText(deliveries.get(2))).startsWith("正在思考中");
            awaitTrue(Duration.ofSeconds(30), () -> redis.exists(keys.outbox(openid)));
            first.kill();
        } finally {
            first.close();
        }
        try (ServiceProcess second = ServiceProcess.start("passive-second", env("passive"))) {
            String next = deliver(second, location(openid), signedQuery(TOKEN));

            assertThat(passiveText(next)).isEqualTo("owed answer");
            assertThat(modelCalls("think long")).isEqualTo(1);
            assertThat(sends()).isZero();
        }
    }

    @Test
    void overlappingDeliveriesOfOneMessageOnTwoInstancesCarryOneAnswer() throws Exception {
        stubModel("one answer", 3_000);
        String openid = "ooverlap" + ThreadLocalRandom.current().nextInt(1_000_000);
        String xml = text(openid, newMsgId(), "asked on both");
        String query = signedQuery(TOKEN);
        List<ServiceProcess> pair = ServiceProcess.startTwo("overlap-a", "overlap-b", env("passive"));
        try (ServiceProcess a = pair.get(0); ServiceProcess b = pair.get(1)) {
            CompletableFuture<String> onA = CompletableFuture.supplyAsync(() -> deliverQuietly(a, xml, query));
            Thread.sleep(1000); // WeChat's next delivery lands on the other instance while the first still waits
            CompletableFuture<String> onB = CompletableFuture.supplyAsync(() -> deliverQuietly(b, xml, query));

            assertThat(passiveText(onA.get())).isEqualTo("one answer");
            assertThat(passiveText(onB.get())).as("the same message: the same reply").isEqualTo("one answer");
            awaitTrue(Duration.ofSeconds(10), () -> !redis.exists(keys.inbox(openid)));
            assertThat(modelCalls("asked on both")).isEqualTo(1);
            assertThat(sends()).isZero();
            assertThat(redis.exists(keys.outbox(openid))).as("nothing owed twice").isFalse();
        }
    }

    @Test
    void hybridOverlappingDeliveriesOfASlowAnswerPushItOnceAndReplyWithNoPart() throws Exception {
        stubModel("pushed once", 6_000);
        String openid = "ohybrid" + ThreadLocalRandom.current().nextInt(1_000_000);
        String xml = text(openid, newMsgId(), "slow on both");
        String query = signedQuery(TOKEN);
        List<ServiceProcess> pair = ServiceProcess.startTwo("hybrid-a", "hybrid-b", env("hybrid"));
        try (ServiceProcess a = pair.get(0); ServiceProcess b = pair.get(1)) {
            CompletableFuture<String> onA = CompletableFuture.supplyAsync(() -> deliverQuietly(a, xml, query));
            Thread.sleep(1000);
            CompletableFuture<String> onB = CompletableFuture.supplyAsync(() -> deliverQuietly(b, xml, query));

            assertThat(onA.get()).isEqualTo("success");
            assertThat(onB.get()).isEqualTo("success");
            awaitTrue(Duration.ofSeconds(20), () -> sends() == 1 && !redis.exists(keys.inbox(openid)));
            Thread.sleep(1000); // anything doubled would have arrived by now
            assertThat(sends()).isEqualTo(1);
            assertThat(modelCalls("slow on both")).isEqualTo(1);
        }
    }

    // ---- helpers ----

    private static Map<String, String> env(String mode) {
        Map<String, String> env = serviceEnv(TOKEN, stubs.baseUrl(), harness.redisPort(), mode);
        env.put("CHAT_OPENAI_TIMEOUT", "30000");
        env.put("CHAT_WECHAT_TYPING", "false");
        return env;
    }

    private static void stubModel(String answer, int delayMillis) {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson("{\"choices\":[{\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"" + answer + "\"}}]}").withFixedDelay(delayMillis)));
    }

    private static String deliverQuietly(ServiceProcess service, String xml, String query) {
        try {
            return deliver(service, xml, query);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A message that asks nothing: it carries an owed answer and adds no question of its own. */
    private static String location(String openid) {
        return "<xml><ToUserName><![CDATA[gh_it]]></ToUserName><FromUserName><![CDATA[" + openid
                + "]]></FromUserName><CreateTime>" + System.currentTimeMillis() / 1000 + "</CreateTime>"
                + "<MsgType><![CDATA[location]]></MsgType><Location_X>23.13</Location_X><Location_Y>113.35</Location_Y>"
                + "<Scale>20</Scale><Label><![CDATA[位置]]></Label><MsgId>" + newMsgId() + "</MsgId></xml>";
    }

    private static int modelCalls(String question) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[-1].content", equalTo(question)))).size();
    }

    private static int sends() {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(SEND))).size();
    }

}
