package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.oac.wechat.WechatSignature;

/** The follower's path: WeChat's callback in, the model's answer out as a customer-service message. */
class CallbackFlowTest extends RouteTestSupport {

    @Test
    void serverVerificationEchoesEchostrForAGoodSignature() {
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        String nonce = "1514711492";
        String signature = WechatSignature.sign(TOKEN, timestamp, nonce);

        ResponseEntity<String> response = http.getForEntity(
                "/wechat?signature={s}&timestamp={t}&nonce={n}&echostr=4375120948345356249",
                String.class, signature, timestamp, nonce);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(response.getBody()).isEqualTo("4375120948345356249");
    }

    @Test
    void serverVerificationWithAForgedSignatureIsForbidden() {
        ResponseEntity<String> response = http.getForEntity(
                "/wechat?signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504"
                        + "&nonce=1514711492&echostr=4375120948345356249", String.class);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(response.getBody()).doesNotContain("4375120948345356249");
    }

    @Test
    void textMessageIsAcknowledgedAtOnceAndAnsweredByCustomerServiceMessage() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("Camel routes messages.");

        long started = System.nanoTime();
        ResponseEntity<String> response = postCallback(textMessage(openid, newMsgId(), "What does Camel do?"));
        long callbackMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(response.getBody()).isEqualTo("success");
        assertThat(callbackMillis).as("callback answers well inside WeChat's 5 s").isLessThan(1000);

        List<LoggedRequest> sends = await(() -> sendsTo(openid), list -> !list.isEmpty());
        JsonNode sent = bodyOf(sends.get(0));
        assertThat(sent.path("msgtype").asText()).isEqualTo("text");
        assertThat(sent.path("text").path("content").asText()).isEqualTo("Camel routes messages.");
        assertThat(sends.get(0).queryParameter("access_token").firstValue()).isEqualTo(ACCESS_TOKEN);

        List<LoggedRequest> asks = modelCallsAsking("What does Camel do?");
        assertThat(asks).hasSize(1);
        assertThat(asks.get(0).getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
        JsonNode ask = bodyOf(asks.get(0));
        assertThat(ask.path("model").asText()).isEqualTo("test-model");
        JsonNode messages = ask.path("messages");
        assertThat(messages.get(0).path("role").asText()).isEqualTo("system");
        assertThat(messages.get(messages.size() - 1).path("role").asText()).isEqualTo("user");
        assertThat(ask.path("max_tokens").asInt()).isPositive();
    }

    @Test
    void duplicateCallbackIsAnsweredOnce() {
        String openid = newOpenid();
        String msgId = newMsgId();
        stubModelAnswer("Only once.");
        String xml = textMessage(openid, msgId, "Are you there?");

        for (int attempt = 0; attempt < 3; attempt++) {
            ResponseEntity<String> response = postCallback(xml);
            assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
            assertThat(response.getBody()).isEqualTo("success");
        }
        // A later message from someone else is answered after any duplicate would have been queued.
        String sentinel = newOpenid();
        postCallback(textMessage(sentinel, newMsgId(), "sentinel"));
        await(() -> sendsTo(sentinel), list -> !list.isEmpty());
        await(() -> sendsTo(openid), list -> !list.isEmpty());

        assertThat(modelCallsAsking("Are you there?")).hasSize(1);
        assertThat(sendsTo(openid)).hasSize(1);
    }

    @Test
    void forgedPostReachesNeitherModelNorWechat() {
        String openid = newOpenid();
        stubModelAnswer("never");
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);

        ResponseEntity<String> response = postCallback(textMessage(openid, newMsgId(), "forged question"),
                "0000000000000000000000000000000000000000", timestamp, "12345");

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
        String sentinel = newOpenid();
        postCallback(textMessage(sentinel, newMsgId(), "sentinel"));
        await(() -> sendsTo(sentinel), list -> !list.isEmpty());
        assertThat(modelCallsAsking("forged question")).isEmpty();
        assertThat(sendsTo(openid)).isEmpty();
    }

    @Test
    void unsignedPostIsForbidden() {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.TEXT_XML);
        ResponseEntity<String> response = http.exchange("/wechat", HttpMethod.POST,
                new HttpEntity<>(textMessage(newOpenid(), newMsgId(), "hi"), headers), String.class);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
    }

    @Test
    void malformedXmlIsRefusedWithAShortPlainMessage() {
        ResponseEntity<String> notXml = postCallback("this is not xml <");
        ResponseEntity<String> empty = postCallback("");
        ResponseEntity<String> noSender = postCallback(
                "<xml><MsgType>text</MsgType><CreateTime>1</CreateTime><Content>hi</Content></xml>");

        for (ResponseEntity<String> response : List.of(notXml, empty, noSender)) {
            assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(response.getBody()).isEqualTo("bad request");
        }
        stubs.verify(0, postRequestedFor(urlPathEqualTo(COMPLETIONS)));
    }

    @Test
    void requestHeadersAreNotEchoedBack() {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.TEXT_XML);
        headers.add("Authorization", "Bearer private");
        headers.add("X-Custom", "abc");
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        String signature = WechatSignature.sign(TOKEN, timestamp, "7");
        stubModelAnswer("ok");

        ResponseEntity<String> response = http.exchange(
                "/wechat?signature=" + signature + "&timestamp=" + timestamp + "&nonce=7", HttpMethod.POST,
                new HttpEntity<>(textMessage(newOpenid(), newMsgId(), "headers"), headers), String.class);

        assertThat(response.getBody()).isEqualTo("success");
        assertThat(response.getHeaders().keySet()).map(String::toLowerCase)
                .doesNotContain("authorization", "x-custom", "signature", "timestamp", "nonce");
    }

    @Test
    void accessTokenIsFetchedOnceAndSharedThroughRedis() {
        stubModelAnswer("cached");
        String first = newOpenid();
        String second = newOpenid();

        postCallback(textMessage(first, newMsgId(), "one"));
        await(() -> sendsTo(first), list -> !list.isEmpty());
        postCallback(textMessage(second, newMsgId(), "two"));
        await(() -> sendsTo(second), list -> !list.isEmpty());

        stubs.verify(1, postRequestedFor(urlPathEqualTo(STABLE_TOKEN)));
        assertThat(redis.opsForValue().get("oac:token:" + APP_ID)).isEqualTo(ACCESS_TOKEN);
        assertThat(redis.getExpire("oac:token:" + APP_ID)).isBetween(6000L, 6900L);
    }

    @Test
    void callbackOutcomesAreCountedInTheMetrics() throws Exception {
        stubModelAnswer("counted");
        String msgId = newMsgId();
        double acceptedBefore = callbacksCounted("accepted");
        double duplicateBefore = callbacksCounted("duplicate");

        String openid = newOpenid();
        postCallback(textMessage(openid, msgId, "count me"));
        postCallback(textMessage(openid, msgId, "count me")); // WeChat delivering it again

        assertThat(callbacksCounted("accepted") - acceptedBefore).as("accepted").isEqualTo(1.0);
        assertThat(callbacksCounted("duplicate") - duplicateBefore).as("duplicate").isEqualTo(1.0);
        assertThat(http.getForEntity(management("/actuator/prometheus"), String.class).getBody())
                .contains("oac_callbacks_total{", "outcome=\"accepted\"", "oac_model_breaker_open");
    }

    private double callbacksCounted(String outcome) throws Exception {
        ResponseEntity<String> metric = http.getForEntity(
                management("/actuator/metrics/oac.callbacks?tag=outcome:" + outcome), String.class);
        if (metric.getStatusCode() == HttpStatus.NOT_FOUND) {
            return 0; // not counted yet in this context
        }
        assertThat(metric.getStatusCode()).isEqualTo(HttpStatus.OK);
        return json.readTree(metric.getBody()).path("measurements").get(0).path("value").asDouble();
    }

    @Test
    void healthIsUpWithRedisAndCamel() throws Exception {
        ResponseEntity<String> response = http.getForEntity(management("/actuator/health"), String.class);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        JsonNode health = json.readTree(response.getBody());
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("components").path("redis").path("status").asText()).isEqualTo("UP");
        assertThat(health.path("components").path("camelHealth").path("status").asText()).isEqualTo("UP");
    }
}
