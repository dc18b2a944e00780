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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.github.oac.wechat.WechatSignature;

/** Broken and hostile callbacks: a short, honest status every time, nothing processed, the service unharmed. */
@ExtendWith(OutputCaptureExtension.class)
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
    void noPathOfThePublicPortReadsABodyBeyondTheLimit() throws Exception {
        byte[] big = "a".repeat(2 * 1024 * 1024).getBytes(StandardCharsets.UTF_8);

        for (String path : List.of("/actuator/health", "/console", "/anything")) {
            assertThat(rawRequest("POST", path, big, false)).as(path).isEqualTo(413);
            assertThat(rawRequest("POST", path, big, true)).as(path + " chunked").isEqualTo(413);
        }
        // outside sandbox mode nothing of the sandbox exists
        assertThat(rawRequest("POST", "/sandbox/callback", big, false)).isEqualTo(404);
        assertThat(rawRequest("POST", "/sandbox/callback", big, true)).isEqualTo(404);
        assertThat(http.getForEntity("/actuator/health", String.class).getStatusCode()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void aSignedUrlRefusedAsMalformedCannotCarryAnotherBodyLater() {
        String openid = newOpenid();
        stubModelAnswer("must not happen");
        String query = signedQuery();

        ResponseEntity<String> refused = postCallback("<xml><FromUserName>" + openid + "</FromUserName></xml>", query);
        ResponseEntity<String> again = postCallback(textMessage(openid, newMsgId(), "forged after a 400"), query);

        assertThat(refused.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(again.getBody()).isEqualTo("success");
        assertNothingQueuedFor(openid, "forged after a 400");
    }

    @Test
    void requestHeadersNamedLikeTheCallbacksParametersAreIgnored() {
        String openid = newOpenid();
        stubModelAnswer("read as plaintext");
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.TEXT_XML);
        headers.set("encrypt_type", "aes");          // would send a plaintext callback down the encrypted branch
        headers.set("signature", "0".repeat(40));    // would stand in for the verified query parameter
        headers.set("msg_signature", "0".repeat(40));

        ResponseEntity<String> response = http.postForEntity("/wechat?" + signedQuery(),
                new HttpEntity<>(textMessage(openid, newMsgId(), "plain question"), headers), String.class);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(response.getBody()).isEqualTo("success");
        await(() -> textsSentTo(openid), texts -> !texts.isEmpty());
        assertThat(textsSentTo(openid)).containsExactly("read as plaintext");
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
    void anOpenidNotOfWechatsShapeIsABadRequestAndNothingIsQueued() {
        for (String openid : List.of("o}:inbox", "o{x}y", "o with space", "o\u200Bzero", "o".repeat(65))) {
            ResponseEntity<String> response = postCallback(textMessage(openid, newMsgId(), "odd openid"));
            assertThat(response.getStatusCode()).as(openid).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(response.getBody()).isEqualTo("bad request");
        }
        assertThat(redis.keys("oac:{default:o*")).isEmpty();
        assertThat(modelCallsAsking("odd openid")).isEmpty();
    }

    @Test
    void aReplayClaimingToBeEncryptedIsStillAReplayWhereNoKeyCheckedItsBody() {
        String openid = newOpenid();
        String forgedFor = newOpenid();
        stubModelAnswer("once");
        String timestamp = now();
        String nonce = newNonce();
        String query = "signature=" + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp=" + timestamp
                + "&nonce=" + nonce;

        postCallback(textMessage(openid, newMsgId(), "original"), query);
        // no EncodingAESKey here: encrypt_type=aes signs nothing more, the plaintext fields are used as sent
        ResponseEntity<String> replay = postCallback(textMessage(forgedFor, newMsgId(), "forged body"),
                query + "&encrypt_type=aes&msg_signature=" + WechatSignature.sign(TOKEN, timestamp, nonce, "x"));

        assertThat(replay.getStatusCode()).isEqualTo(HttpStatus.OK);
        String sentinel = newOpenid();
        postCallback(textMessage(sentinel, newMsgId(), "sentinel"));
        await(() -> sendsTo(sentinel), list -> !list.isEmpty());
        await(() -> sendsTo(openid), list -> !list.isEmpty());
        assertThat(modelCallsAsking("forged body")).isEmpty();
        assertThat(sendsTo(forgedFor)).isEmpty();
    }

    @Test
    void aSignedRequestIsGoodOnceHoweverItsSignatureIsSpelled() {
        String openid = newOpenid();
        stubModelAnswer("once");
        String timestamp = now();
        String nonce = newNonce();
        String signature = WechatSignature.sign(TOKEN, timestamp, nonce);

        postCallback(textMessage(openid, newMsgId(), "original"), signature, timestamp, nonce);
        ResponseEntity<String> upper = postCallback(textMessage(openid, newMsgId(), "forged in upper case"),
                signature.toUpperCase(java.util.Locale.ROOT), timestamp, nonce);
        ResponseEntity<String> mixed = postCallback(textMessage(openid, newMsgId(), "forged in mixed case"),
                signature.substring(0, 20).toUpperCase(java.util.Locale.ROOT) + signature.substring(20), timestamp,
                nonce);

        assertThat(upper.getBody()).isEqualTo("success");
        assertThat(mixed.getBody()).isEqualTo("success");
        await(() -> sendsTo(openid), list -> !list.isEmpty());
        awaitTurnsFinished(openid);
        assertThat(modelCallsAsking("original")).hasSize(1);
        assertThat(modelCallsAsking("forged in upper case")).isEmpty();
        assertThat(modelCallsAsking("forged in mixed case")).isEmpty();
        assertThat(sendsTo(openid)).hasSize(1);
    }

    @Test
    void aVerificationRequestIsGoodOnceHoweverItsSignatureIsSpelled() {
        String timestamp = now();
        String nonce = newNonce();
        String signature = WechatSignature.sign(TOKEN, timestamp, nonce);
        String query = "/wechat?timestamp=" + timestamp + "&nonce=" + nonce + "&echostr=e-" + nonce + "&signature=";

        ResponseEntity<String> first = http.getForEntity(query + signature, String.class);
        ResponseEntity<String> again = http.getForEntity(query + signature, String.class);
        ResponseEntity<String> upper = http.getForEntity(query + signature.toUpperCase(java.util.Locale.ROOT),
                String.class);

        assertThat(first.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(first.getBody()).isEqualTo("e-" + nonce);
        for (ResponseEntity<String> replay : List.of(again, upper)) {
            assertThat(replay.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
            assertThat(replay.getBody()).isEqualTo("forbidden");
        }
    }

    @Test
    void anUnsignedRequestIsRefusedBeforeItsBodyIsRead() throws Exception {
        // headers announce 64 KiB but no byte of the body follows: the answer must not wait for it
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(3000);
            socket.getOutputStream().write(("POST /wechat?signature=x&timestamp=1&nonce=1 HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: text/xml\r\nContent-Length: 65536\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            assertThat(status).isEqualTo("HTTP/1.1 403 ");
        }
    }

    /**
     * A refused body's connection closes after its drain (CallbackGate.DRAIN_MILLIS, 1 s), which Tomcat's async
     * timeout check (once a second) ends; well before Tomcat would give up on the body itself (connection-timeout 5 s).
     */
    private static final Duration CLOSED_SOON = Duration.ofSeconds(4);

    @Test
    void aBodyOnAPathThatTakesNoneIsRefusedAtOnceWithoutReadingIt() throws Exception {
        // no byte of the announced body follows: the answer, and the closed connection, must not wait for it (all at
        // once, each on its own connection: each waits for the same drain)
        Map<String, String> expected = new LinkedHashMap<>();
        for (String head : List.of("POST /console HTTP/1.1\r\nContent-Length: 60000",
                "GET /actuator/health HTTP/1.1\r\nTransfer-Encoding: chunked",
                "POST /admin/stats HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 10",
                "PUT /wechat?" + signedQuery() + " HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 10")) {
            expected.put(head, "HTTP/1.1 413 ");
        }
        // outside sandbox mode the sandbox does not exist, with a body or without
        expected.put("POST /sandbox/callback HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 10",
                "HTTP/1.1 404 ");
        Map<String, SlowClient> clients = new LinkedHashMap<>();
        for (String head : expected.keySet()) {
            clients.put(head, SlowClient.send(port, head));
        }
        for (Map.Entry<String, SlowClient> client : clients.entrySet()) {
            assertThat(client.getValue().status()).as(client.getKey()).isEqualTo(expected.get(client.getKey()));
            assertThat(client.getValue().closedWithin(CLOSED_SOON)).as(client.getKey() + ": closed").isTrue();
        }
    }

    @Test
    void aSignedCallbackWhoseBodyDoesNotArriveInTimeGets408AndItsConnectionClosed() throws Exception {
        long start = System.nanoTime();
        SlowClient client = SlowClient.send(port, "POST /wechat?" + signedQuery()
                + " HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 500");
        for (int i = 0; i < 6; i++) {
            client.write("<"); // a byte every half second: within Tomcat's 5 s between reads, never done
            Thread.sleep(500);
            if (client.answered()) {
                break;
            }
        }

        assertThat(client.status()).isEqualTo("HTTP/1.1 408 ");
        assertThat(client.closedWithin(CLOSED_SOON)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("chat.callback.read-timeout is 3 s")
                .isBetween(Duration.ofMillis(2500), Duration.ofSeconds(6));
        assertThat(http.getForEntity("/actuator/health", String.class).getStatusCode()).isEqualTo(HttpStatus.OK);
    }

    /** A client on a raw socket: a request head, then whatever body bytes the test sends, when it sends them. */
    private record SlowClient(java.net.Socket socket, java.io.InputStream in) {

        static SlowClient send(int port, String head) throws java.io.IOException {
            java.net.Socket socket = new java.net.Socket("127.0.0.1", port);
            socket.setSoTimeout(8000);
            socket.getOutputStream().write((head + "\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new SlowClient(socket, socket.getInputStream());
        }

        void write(String bytes) throws java.io.IOException {
            socket.getOutputStream().write(bytes.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }

        boolean answered() throws java.io.IOException {
            return in.available() > 0;
        }

        /** The response's status line. */
        String status() throws java.io.IOException {
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        /** The service closed the connection (end of stream after the response) within this long. */
        boolean closedWithin(Duration timeout) throws java.io.IOException {
            socket.setSoTimeout((int) timeout.toMillis());
            try (socket) {
                while (in.read() >= 0) {
                    // the rest of the response
                }
                return true;
            } catch (java.net.SocketTimeoutException stillOpen) {
                return false;
            }
        }
    }

    @Test
    void aParameterGivenTwiceIsABadRequestNeverA5xx() {
        String timestamp = now();
        String nonce = newNonce();
        String signed = "signature=" + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp=" + timestamp
                + "&nonce=" + nonce;

        ResponseEntity<String> twoEchos = http.getForEntity("/wechat?" + signed + "&echostr=a&echostr=b", String.class);
        ResponseEntity<String> twoSignatures = postCallback(textMessage(newOpenid(), newMsgId(), "two"),
                signed + "&signature=" + WechatSignature.sign(TOKEN, timestamp, nonce));

        for (ResponseEntity<String> response : List.of(twoEchos, twoSignatures)) {
            assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(response.getBody()).isEqualTo("bad request");
        }
    }

    @Test
    void theErrorPageCannotBeRequestedAndAnAdminTokenIsNeverTakenFromTheUrl() {
        for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT)) {
            ResponseEntity<String> error = http.exchange("/error", method, null, String.class);
            assertThat(error.getStatusCode()).as(method.name()).isEqualTo(HttpStatus.NOT_FOUND);
        }
        ResponseEntity<String> inUrl = http.getForEntity("/admin/dead-letters?Authorization=Bearer%20" + ADMIN_TOKEN,
                String.class);
        assertThat(inUrl.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(inUrl.getBody()).doesNotContain("letters");
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

    @Test
    void anyContentTypeEncodingAndBodyGetsA4xxOrIsReadAsTheXmlItIsNeverA5xxOrAStackTrace(CapturedOutput log)
            throws Exception {
        String openid = newOpenid();
        String xml = eventMessage(openid, "subscribe", null);
        byte[] binary = new byte[512];
        new Random(20261125).nextBytes(binary);
        java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(gzipped)) {
            gzip.write(xml.getBytes(StandardCharsets.UTF_8));
        }
        Map<String, byte[]> bodies = new LinkedHashMap<>();
        bodies.put("xml", xml.getBytes(StandardCharsets.UTF_8));
        bodies.put("empty", new byte[0]);
        bodies.put("binary", binary);
        bodies.put("truncated", xml.substring(0, xml.length() / 2).getBytes(StandardCharsets.UTF_8));
        bodies.put("broken form", "a=%zz&b=%&%%".getBytes(StandardCharsets.UTF_8));
        bodies.put("multipart", ("--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.xml\"\r\n\r\n"
                + xml + "\r\n--XyZ--\r\n").getBytes(StandardCharsets.UTF_8));
        bodies.put("gzip", gzipped.toByteArray());
        bodies.put("huge", new byte[300 * 1024]);
        List<String> contentTypes = java.util.Arrays.asList(null, "text/xml", "application/xml",
                "text/xml; charset=UTF-8", "text/xml;charset=\"utf-8\"", "text/xml; charset=GBK",
                "text/xml; charset=nonsense-42", "text/xml; charset=", "text/plain", "application/json",
                "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8",
                "multipart/form-data", "multipart/form-data; boundary=XyZ", "multipart/mixed; boundary=XyZ",
                "application/octet-stream", "application/soap+xml", "image/png", "*/*", ";;;", "text/");
        List<String> encodings = java.util.Arrays.asList(null, "identity", "gzip", "deflate", "br", "x-nonsense",
                "gzip, gzip");
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        List<String> failures = new ArrayList<>();
        int requests = 0;

        for (Map.Entry<String, byte[]> body : bodies.entrySet()) {
            for (String contentType : contentTypes) {
                for (String encoding : encodings) {
                    for (boolean signed : new boolean[] {true, false}) {
                        String timestamp = now();
                        String nonce = newNonce();
                        String query = signed ? "signature=" + WechatSignature.sign(TOKEN, timestamp, nonce)
                                + "&timestamp=" + timestamp + "&nonce=" + nonce : "signature=%25zz&timestamp=x";
                        // a follower of its own each time, so that no valid event is a duplicate of another
                        byte[] bytes = body.getKey().equals("xml")
                                ? eventMessage(newOpenid(), "subscribe", null).getBytes(StandardCharsets.UTF_8)
                                : body.getValue();
                        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                                URI.create("http://localhost:" + port + "/wechat?" + query))
                                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(bytes));
                        if (contentType != null) {
                            request.header("Content-Type", contentType);
                        }
                        if (encoding != null) {
                            request.header("Content-Encoding", encoding);
                        }
                        java.net.http.HttpResponse<String> response = client.send(request.build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                        requests++;
                        int status = response.statusCode();
                        String what = status + " for " + body.getKey() + " as " + contentType + " / " + encoding
                                + (signed ? "" : " unsigned") + ": " + response.body();
                        boolean shortStatus = List.of("success", "forbidden", "bad request", "payload too large",
                                "unsupported media type").contains(response.body())
                                || response.body().startsWith("<xml>");
                        if (!List.of(200, 400, 403, 413, 415).contains(status) || !shortStatus) {
                            failures.add(what);
                        }
                        if (signed && body.getKey().equals("xml") && status == 200
                                && !response.body().contains("<Content>")) {
                            failures.add("accepted but not read as XML: " + what);
                        }
                    }
                }
            }
        }

        assertThat(failures).isEmpty();
        assertThat(requests).isEqualTo(bodies.size() * contentTypes.size() * encodings.size() * 2);
        assertThat(log.getAll()).doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(http.getForEntity("/actuator/health", String.class).getStatusCode()).isEqualTo(HttpStatus.OK);
        // the plain case still works: an XML callback as WeChat sends it
        assertThat(postCallback(eventMessage(openid, "subscribe", null)).getBody()).contains("<Content>");
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
        return rawRequest("POST", "/wechat?signature=" + WechatSignature.sign(TOKEN, timestamp, nonce) + "&timestamp="
                + timestamp + "&nonce=" + nonce, body, chunked);
    }

    private int rawRequest(String method, String pathAndQuery, byte[] body, boolean chunked) throws Exception {
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://localhost:" + port + pathAndQuery)
                .toURL().openConnection();
        connection.setRequestMethod(method);
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
