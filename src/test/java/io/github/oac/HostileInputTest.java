package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.oac.wechat.WechatSignature;

/** Broken and hostile callbacks: a short, honest status every time, nothing processed, the service unharmed. */
class HostileInputTest extends RouteTestSupport {

    @LocalServerPort
    int port;

    @Value("${chat.replies.question-truncated}")
    String truncatedNotice;

    @Test
    void externalEntitiesAreNeverResolved() {
        stubs.stubFor(get(urlPathEqualTo("/xxe")).willReturn(ok("<!ENTITY x 'pwned'>")));
        String openid = newOpenid();
        List<String> bodies = List.of(
                "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                        + textMessage(openid, newMsgId(), "&xxe;").substring(0),
                "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"" + stubs.baseUrl() + "/xxe\">]>"
                        + textMessage(openid, newMsgId(), "&xxe;"),
                "<?xml version=\"1.0\"?><!DOCTYPE xml SYSTEM \"" + stubs.baseUrl() + "/xxe\">"
                        + textMessage(openid, newMsgId(), "dtd"),
                "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY % p SYSTEM \"" + stubs.baseUrl() + "/xxe\"> %p;]>"
                        + textMessage(openid, newMsgId(), "parameter entity"));

        for (String body : bodies) {
            ResponseEntity<String> response = postCallback(body);
            assertThat(response.getStatusCode()).as(body).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(response.getBody()).isEqualTo("bad request");
        }
        stubs.verify(0, anyRequestedFor(urlPathEqualTo("/xxe")));
        assertThat(sendsTo(openid)).isEmpty();
    }

    @Test
    void billionLaughsIsRefusedQuickly() {
        StringBuilder dtd = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        dtd.append("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">");
        for (int i = 2; i <= 9; i++) {
            dtd.append("<!ENTITY lol").append(i).append(" \"")
                    .append(("&lol" + (i - 1) + ";").repeat(10)).append("\">");
        }
        dtd.append("]>");
        long started = System.nanoTime();

        ResponseEntity<String> response = postCallback(dtd + textMessage(newOpenid(), newMsgId(), "&lol9;"));

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(1000);
    }

    @Test
    void oversizedBodiesGet413WithOrWithoutContentLength() throws Exception {
        byte[] big = ("<xml>" + "x".repeat(300 * 1024) + "</xml>").getBytes(StandardCharsets.UTF_8);

        assertThat(rawPost(big, false)).isEqualTo(413);
        assertThat(rawPost(big, true)).isEqualTo(413);
        assertThat(http.getForEntity("/actuator/health", String.class).getStatusCode()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void brokenBodiesGetAShortPlain400WithoutExceptionNames() {
        String openid = newOpenid();
        String good = textMessage(openid, newMsgId(), "truncated");
        List<String> bodies = List.of("", "   ", "{\"json\":true}", "plain words", good.substring(0, good.length() / 2),
                "<xml><FromUserName>x</FromUserName></xml>", "<xml><MsgType>text</MsgType></xml>", "<xml/>",
                "<xml><xml><xml>", "\u0000\u0001\u0002", "<xml><Content><![CDATA[unclosed</Content></xml>");

        for (String body : bodies) {
            ResponseEntity<String> response = postCallback(body);
            assertThat(response.getStatusCode()).as(body).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(response.getBody()).as(body).isEqualTo("bad request");
        }
    }

    @Test
    void staleTimestampsAreRefused() {
        String openid = newOpenid();
        for (long offset : new long[] {-301, 301, -86_400}) {
            String timestamp = Long.toString(System.currentTimeMillis() / 1000 + offset);
            String nonce = newNonce();
            ResponseEntity<String> response = postCallback(textMessage(openid, newMsgId(), "stale"),
                    WechatSignature.sign(TOKEN, timestamp, nonce), timestamp, nonce);
            assertThat(response.getStatusCode()).as("offset %d", offset).isEqualTo(HttpStatus.FORBIDDEN);
        }
        String nonce = newNonce();
        assertThat(postCallback(textMessage(openid, newMsgId(), "stale"), WechatSignature.sign(TOKEN, "soon", nonce),
                "soon", nonce).getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(sendsTo(openid)).isEmpty();
    }

    @Test
    void aReplayedSignedRequestIsAcknowledgedButNotProcessed() {
        String openid = newOpenid();
        stubModelAnswer("once");
        String timestamp = now();
        String nonce = newNonce();
        String signature = WechatSignature.sign(TOKEN, timestamp, nonce);

        postCallback(textMessage(openid, newMsgId(), "original"), signature, timestamp, nonce);
        ResponseEntity<String> replay = postCallback(textMessage(openid, newMsgId(), "forged body"), signature,
                timestamp, nonce);

        assertThat(replay.getBody()).isEqualTo("success");
        String sentinel = newOpenid();
        postCallback(textMessage(sentinel, newMsgId(), "sentinel"));
        await(() -> sendsTo(sentinel), list -> !list.isEmpty());
        await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(modelCallsAsking("original")).hasSize(1);
        assertThat(modelCallsAsking("forged body")).isEmpty();
    }

    @Test
    void anOversizedQuestionIsCutBeforeTheModelAndTheFollowerIsTold() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("summary");
        String huge = "问".repeat(100 * 1024 / 3); // ~100 KB of UTF-8, inside the 256 KB test limit

        assertThat(postCallback(textMessage(openid, newMsgId(), huge)).getBody()).isEqualTo("success");

        List<LoggedRequest> sends = await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(bodyOf(sends.get(0)).path("text").path("content").asText())
                .isEqualTo(truncatedNotice + "\n\nsummary");
        assertThat(modelCallsAsking("问".repeat(4000))).hasSize(1);
    }

    @Test
    void fuzzedCallbacksNeverGet5xxAndTheServiceStaysHealthy() {
        Random random = new Random(20261123);
        List<String> seeds = List.of(textMessage("ofuzz", "7000000000000000001", "你好 fuzz"),
                eventMessage("ofuzz", "subscribe", null), eventMessage("ofuzz", "CLICK", "HELP"),
                "<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt></xml>");
        stubModelAnswer("fuzz answer");
        List<String> failures = new ArrayList<>();
        int requests = Integer.getInteger("fuzz.requests", 2000);

        for (int i = 0; i < requests; i++) {
            String body = mutate(seeds.get(random.nextInt(seeds.size())), random);
            ResponseEntity<String> response = random.nextInt(4) == 0
                    ? postEncryptedRaw(body) : postCallback(body);
            int status = response.getStatusCode().value();
            if (status >= 500 || (status != 200 && !List.of("bad request", "forbidden").contains(response.getBody()))) {
                failures.add(status + " for " + body);
            }
        }

        assertThat(failures).isEmpty();
        assertThat(http.getForEntity("/actuator/health", String.class).getStatusCode()).isEqualTo(HttpStatus.OK);
        String openid = newOpenid();
        postCallback(textMessage(openid, newMsgId(), "still there?"));
        await(() -> sendsTo(openid), list -> !list.isEmpty());
    }

    // ---- helpers ----

    /** Flips, deletes, duplicates and inserts bytes (as characters), the mutations a byte fuzzer makes. */
    private static String mutate(String seed, Random random) {
        StringBuilder body = new StringBuilder(seed);
        int mutations = 1 + random.nextInt(8);
        for (int m = 0; m < mutations && body.length() > 0; m++) {
            int at = random.nextInt(body.length());
            switch (random.nextInt(5)) {
                case 0 -> body.setCharAt(at, (char) (body.charAt(at) ^ (1 << random.nextInt(7))));
                case 1 -> body.deleteCharAt(at);
                case 2 -> body.insert(at, body.substring(at, Math.min(body.length(), at + 1 + random.nextInt(16))));
                case 3 -> body.insert(at, "<>&;![]CDATA\"'/=?#%\u00ff\u4e2d\ud83d\ude00".charAt(random.nextInt(22)));
                default -> body.setLength(at);
            }
        }
        return body.toString();
    }

    private ResponseEntity<String> postEncryptedRaw(String body) {
        String timestamp = now();
        String nonce = newNonce();
        return postCallback(body, "signature=" + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp="
                + timestamp + "&nonce=" + nonce + "&encrypt_type=aes&msg_signature="
                + WechatSignature.sign(TOKEN, timestamp, nonce, "AAAA"));
    }

    private int rawPost(byte[] body, boolean chunked) throws Exception {
        String timestamp = now();
        String nonce = newNonce();
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://localhost:" + port
                + "/wechat?signature=" + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp=" + timestamp
                + "&nonce=" + nonce).toURL().openConnection();
        connection.setRequestMethod("POST");
        connection.setDoOutput(true);
        connection.setRequestProperty("Content-Type", "text/xml");
        if (chunked) {
            connection.setChunkedStreamingMode(8192);
        } else {
            connection.setFixedLengthStreamingMode(body.length);
        }
        try (OutputStream out = connection.getOutputStream()) {
            out.write(body);
        } catch (java.io.IOException closedEarly) {
            // the server may answer 413 and close before the whole body is written
        }
        int status = connection.getResponseCode();
        connection.disconnect();
        return status;
    }
}
