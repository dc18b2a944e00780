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
 * Sandbox mode listening on an address the operator chose (here every address of the machine): every call of the
 * page needs ADMIN_TOKEN, however its path is spelled, and the stand-in and the demo model answer the service itself
 * only, which a request from one of the machine's other addresses proves.
 */
@TestPropertySource(properties = "server.address=0.0.0.0")
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

    @Test
    void theStandInAndTheDemoModelRefuseARequestFromAnotherAddressEvenWithTheAdminToken() throws Exception {
        java.net.InetAddress elsewhere = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())
                .stream().filter(network -> {
                    try {
                        return network.isUp() && !network.isLoopback();
                    } catch (java.net.SocketException e) {
                        return false;
                    }
                })
                .flatMap(network -> java.util.Collections.list(network.getInetAddresses()).stream())
                .filter(address -> address instanceof java.net.Inet4Address && !address.isLoopbackAddress())
                .findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(elsewhere != null,
                "this machine has no address but loopback to send from");
        String token = "{\"appid\":\"x\",\"secret\":\"y\",\"grant_type\":\"client_credential\"}";
        String completion = "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        for (String path : java.util.List.of("/sandbox/api/cgi-bin/stable_token", "/sandbox/api/cgi-bin/stable_token;x",
                "/sandbox/demo-model/v1/chat/completions")) {
            String body = path.contains("demo-model") ? completion : token;
            assertThat(postFrom(elsewhere, path, body)).as(path + " from " + elsewhere.getHostAddress())
                    .isEqualTo(403);
        }
        assertThat(postFrom(java.net.InetAddress.getLoopbackAddress(), "/sandbox/api/cgi-bin/stable_token", token))
                .as("from the service's own host").isEqualTo(200);
    }

    /** A POST with the admin token, sent to the service at this address of the machine (and so from it). */
    private int postFrom(java.net.InetAddress address, String path, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + address.getHostAddress() + ":" + port
                        + path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .timeout(java.time.Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
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
