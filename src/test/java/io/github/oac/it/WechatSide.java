package io.github.oac.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.dataformat.xml.XmlMapper;

import io.github.oac.wechat.WechatSignature;

/** What the process tests do as WeChat does it: signed callbacks, message XML, and waiting with a deadline. */
final class WechatSide {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final XmlMapper XML = new XmlMapper();

    private WechatSide() {
    }

    /**
     * A service process's settings against fake WeChat and model APIs at stubsBaseUrl and a Redis on redisPort, in
     * this delivery mode, with the short leases and recovery passes the process tests wait for; tests add their own.
     */
    static java.util.Map<String, String> serviceEnv(String token, String stubsBaseUrl, int redisPort, String mode) {
        java.util.Map<String, String> env = new java.util.HashMap<>();
        env.put("WECHAT_TOKEN", token);
        env.put("WECHAT_APP_ID", "wxit");
        env.put("WECHAT_APP_SECRET", "it-secret");
        env.put("OPENAI_API_KEY", "sk-it");
        env.put("WECHAT_API_BASE_URL", stubsBaseUrl);
        env.put("OPENAI_BASE_URL", stubsBaseUrl + "/v1");
        env.put("REDIS_URL", "redis://127.0.0.1:" + redisPort);
        env.put("WECHAT_DELIVERY", mode);
        env.put("CHAT_QUEUE_LEASE_TTL", "3s");
        env.put("CHAT_RECOVERY_INTERVAL", "1000");
        env.put("CHAT_RECOVERY_FULL_SWEEP", "3s");
        return env;
    }

    /** A callback's query string, signed with the account's token now. */
    static String signedQuery(String token) {
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        String nonce = Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000_000));
        return "signature=" + WechatSignature.sign(token, timestamp, nonce) + "&timestamp=" + timestamp + "&nonce="
                + nonce;
    }

    /** One delivery as WeChat makes it: the response, or "cut" when none came within 5 s. */
    static String deliver(ServiceProcess service, String xml, String query) throws Exception {
        return deliver(service, "/wechat", xml, query);
    }

    /** The same, to an account's own callback path (/wechat/<name>). */
    static String deliver(ServiceProcess service, String path, String xml, String query) throws Exception {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(service.url(path + "?"
                    + query))).timeout(Duration.ofSeconds(5)).header("Content-Type", "text/xml")
                    .POST(HttpRequest.BodyPublishers.ofString(xml)).build(), HttpResponse.BodyHandlers.ofString());
            return response.body();
        } catch (HttpTimeoutException cut) {
            return "cut";
        }
    }

    /** The text of a passive reply, or null when the body is none ("success", say). */
    static String passiveText(String body) throws Exception {
        return body != null && body.startsWith("<xml>") ? XML.readTree(body).path("Content").asText() : null;
    }

    static String text(String openid, String msgId, String content) {
        return "<xml><ToUserName><![CDATA[gh_it]]></ToUserName><FromUserName><![CDATA[" + openid
                + "]]></FromUserName><CreateTime>" + System.currentTimeMillis() / 1000 + "</CreateTime>"
                + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + content + "]]></Content><MsgId>" + msgId
                + "</MsgId></xml>";
    }

    /** A MsgId: 64-bit, as WeChat's, random enough not to meet another test's. */
    static String newMsgId() {
        return Long.toString(7_200_000_000_000_000_000L + ThreadLocalRandom.current().nextLong(1_000_000_000_000_000L));
    }

    static void awaitTrue(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(100); // polling with a deadline
        }
    }
}
