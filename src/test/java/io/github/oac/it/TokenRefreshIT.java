package io.github.oac.it;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.oac.store.EmbeddedRedis;
import io.github.oac.wechat.WechatSignature;
import redis.clients.jedis.Jedis;

/**
 * An access token WeChat invalidated, met by a burst of sends on two instances sharing one Redis that still holds
 * it: every send that got 40001 is retried with a fresh token, each instance fetches the new token once (not once per
 * send), and every answer reaches its follower exactly once, none a dead letter.
 */
class TokenRefreshIT {

    /** The service's key names, as it builds them (default prefix). */
    private static final io.github.oac.store.Keys keys = new io.github.oac.store.Keys("oac:");

    private static final String TOKEN = "tokenit";
    private static final String APP_ID = "wxtokenit";
    private static final String SEND = "/cgi-bin/message/custom/send";
    private static final String STABLE_TOKEN = "/cgi-bin/stable_token";
    private static final int FOLLOWERS = 300;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static EmbeddedRedis redisServer;
    private static final WireMockServer stubs = new WireMockServer(WireMockConfiguration.options().dynamicPort()
            .containerThreads(64));

    @BeforeAll
    static void startRedisAndStubs() {
        redisServer = EmbeddedRedis.start();
        stubs.start();
    }

    @AfterAll
    static void stopAll() throws Exception {
        stubs.stop();
        redisServer.close();
    }

    @Test
    void aBurstOfSendsWithAnInvalidatedTokenFetchesOneTokenPerInstanceAndLosesNoAnswer() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(STABLE_TOKEN))
                .willReturn(okJson("{\"access_token\":\"NEW_TOKEN\",\"expires_in\":7200}").withFixedDelay(200)));
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).withQueryParam("access_token", equalTo("OLD_TOKEN"))
                .willReturn(okJson("{\"errcode\":40001,\"errmsg\":\"invalid credential, access_token is invalid or "
                        + "not latest\"}")));
        stubs.stubFor(post(urlPathEqualTo("/v1/chat/completions")).willReturn(okJson(
                "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"answered\"}}]}")));
        List<ServiceProcess> pair = ServiceProcess.startTwo("token-a", "token-b", env());
        try (Jedis redis = new Jedis("127.0.0.1", redisServer.port());
             ServiceProcess a = pair.get(0); ServiceProcess b = pair.get(1)) {
            // what an earlier run left: a token WeChat has since replaced
            redis.setex("oac:token:" + APP_ID, 3600, "OLD_TOKEN");

            List<CompletableFuture<String>> callbacks = new ArrayList<>();
            Set<String> followers = new TreeSet<>();
            for (int i = 0; i < FOLLOWERS; i++) {
                String openid = "otoken" + i + "x" + ThreadLocalRandom.current().nextInt(1_000_000);
                followers.add(openid);
                ServiceProcess instance = i % 2 == 0 ? a : b;
                callbacks.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(instance.url("/wechat?"
                                        + signedQuery()))).timeout(Duration.ofSeconds(10))
                                .header("Content-Type", "text/xml").POST(HttpRequest.BodyPublishers.ofString(
                                        text(openid))).build(), HttpResponse.BodyHandlers.ofString())
                        .thenApply(HttpResponse::body));
            }
            for (CompletableFuture<String> callback : callbacks) {
                assertThat(callback.get()).isEqualTo("success");
            }
            awaitTrue(Duration.ofSeconds(60), () -> answeredFollowers().size() == FOLLOWERS
                    || redis.exists(keys.deadLetters()));
            Thread.sleep(1000); // anything doubled would have arrived by now

            assertThat(redis.exists(keys.deadLetters())).as("no dead letter").isFalse();
            assertThat(answeredFollowers()).as("every follower answered").isEqualTo(followers);
            assertThat(stubs.findAll(postRequestedFor(urlPathEqualTo(SEND))
                    .withQueryParam("access_token", equalTo("NEW_TOKEN")))).as("and once").hasSize(FOLLOWERS);
            assertThat(stubs.findAll(postRequestedFor(urlPathEqualTo(STABLE_TOKEN))).size())
                    .as("one fetch per instance, not one per refused send").isLessThanOrEqualTo(2);
        }
    }

    /** Followers WeChat accepted an answer for, with the new token. */
    private static Set<String> answeredFollowers() {
        Set<String> answered = new TreeSet<>();
        for (LoggedRequest send : stubs.findAll(postRequestedFor(urlPathEqualTo(SEND))
                .withQueryParam("access_token", equalTo("NEW_TOKEN")))) {
            try {
                answered.add(JSON.readTree(send.getBodyAsString()).path("touser").asText());
            } catch (Exception unreadable) {
                throw new IllegalStateException(unreadable);
            }
        }
        return answered;
    }

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("WECHAT_TOKEN", TOKEN);
        env.put("WECHAT_APP_ID", APP_ID);
        env.put("WECHAT_APP_SECRET", "token-secret");
        env.put("OPENAI_API_KEY", "sk-token");
        env.put("WECHAT_API_BASE_URL", stubs.baseUrl());
        env.put("OPENAI_BASE_URL", stubs.baseUrl() + "/v1");
        env.put("REDIS_URL", "redis://127.0.0.1:" + redisServer.port());
        env.put("WECHAT_DELIVERY", "push");
        env.put("CHAT_WECHAT_TYPING", "false");
        env.put("CHAT_RATE_LIMIT_PER_MINUTE", "0");
        return env;
    }

    private static String signedQuery() {
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        String nonce = Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000_000));
        return "signature=" + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp=" + timestamp + "&nonce="
                + nonce;
    }

    private static String text(String openid) {
        return "<xml><ToUserName><![CDATA[gh_it]]></ToUserName><FromUserName><![CDATA[" + openid
                + "]]></FromUserName><CreateTime>" + System.currentTimeMillis() / 1000 + "</CreateTime>"
                + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[token?]]></Content><MsgId>"
                + (7_500_000_000_000_000_000L + ThreadLocalRandom.current().nextLong(1_000_000_000_000_000L))
                + "</MsgId></xml>";
    }

    private static void awaitTrue(Duration timeout, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && !condition.getAsBoolean()) {
            Thread.sleep(200); // polling with a deadline
        }
    }
}
