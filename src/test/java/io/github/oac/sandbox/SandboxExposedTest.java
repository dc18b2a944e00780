package io.github.oac.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * Sandbox mode listening on an address the operator chose (here loopback, given explicitly): every call of the page
 * needs ADMIN_TOKEN, however its path is spelled, and the stand-in and the demo model answer the service itself only.
 */
@TestPropertySource(properties = "server.address=127.0.0.1")
class SandboxExposedTest extends SandboxTestSupport {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @Test
    void everyCallOfThePageNeedsTheAdminTokenHoweverItsPathIsSpelled() throws Exception {
        String question = "{\"openid\":\"oexposed\",\"type\":\"text\",\"content\":\"hi\"}";
        for (String path : List.of("/sandbox/callback", "/sandbox/callback;x", "/sandbox/%63allback",
                "/sandbox//callback", "/sandbox/./callback")) {
            assertThat(post(path, question, null)).as(path).isBetween(400, 499);
        }
        for (String path : List.of("/sandbox/info", "/sandbox/info;x", "/sandbox/conversation;x?openid=oexposed",
                "/sandbox/events;x?openid=oexposed")) {
            assertThat(get(path, null)).as(path).isBetween(400, 499);
        }
        assertThat(post("/sandbox/callback", question, ADMIN_TOKEN)).isEqualTo(200);
        assertThat(get("/sandbox", null)).as("the page itself asks for the token").isEqualTo(200);
        assertThat(get("/sandbox/sandbox.js", null)).isEqualTo(200);
    }

    private int post(String path, String json, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url("/").replaceAll("/$", "") + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private int get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url("/").replaceAll("/$", "") + path))
                .timeout(java.time.Duration.ofSeconds(5));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
