package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.databind.JsonNode;

import io.github.oac.store.EmbeddedRedis;
import io.github.oac.store.RedisEndpoint;

/** Health is UP only while the routes and Redis are; the public port shows the status and nothing more. */
class HealthTest extends RouteTestSupport {

    @Autowired
    RedisEndpoint redisEndpoint;

    @Test
    void healthIsDownWhileRedisIsDownAndUpWhenItIsBack() throws Exception {
        EmbeddedRedis server = redisEndpoint.embedded().orElseThrow();
        server.stop();
        try {
            ResponseEntity<String> down = http.getForEntity(management("/actuator/health"), String.class);
            assertThat(down.getStatusCode().value()).isEqualTo(503);
            assertThat(json.readTree(down.getBody()).path("components").path("redis").path("status").asText())
                    .isEqualTo("DOWN");
            // Kubernetes: not ready (callbacks would 503), but alive (a restart would not bring Redis back)
            assertThat(http.getForEntity(management("/actuator/health/readiness"), String.class).getStatusCode()
                    .value()).isEqualTo(503);
            assertThat(http.getForEntity(management("/actuator/health/liveness"), String.class).getStatusCode()
                    .value()).isEqualTo(200);
            ResponseEntity<String> publicDown = http.getForEntity("/actuator/health", String.class);
            assertThat(publicDown.getStatusCode().value()).isEqualTo(503);
            assertThat(publicDown.getBody()).isEqualTo("{\"status\":\"DOWN\"}");
        } finally {
            server.restart();
        }
        await(() -> http.getForEntity("/actuator/health", String.class).getStatusCode().value(), s -> s == 200);
        assertThat(http.getForEntity(management("/actuator/health/readiness"), String.class).getStatusCode().value())
                .isEqualTo(200);
    }

    @Test
    void thePublicPortShowsOnlyTheStatusAndNoMetrics() throws Exception {
        ResponseEntity<String> health = http.getForEntity("/actuator/health", String.class);

        assertThat(health.getStatusCode().value()).isEqualTo(200);
        assertThat(health.getBody()).isEqualTo("{\"status\":\"UP\"}");
        assertThat(health.getHeaders().getContentType().toString()).startsWith("application/json");
        for (String path : List.of("/actuator/prometheus", "/actuator/metrics", "/actuator/metrics/oac.callbacks",
                "/actuator/env", "/actuator/health/redis", "/actuator")) {
            assertThat(http.getForEntity(path, String.class).getStatusCode().value()).as(path).isEqualTo(404);
        }
        assertThat(http.getForEntity(management("/actuator/prometheus"), String.class).getBody())
                .contains("oac_model_breaker_open");
        assertThat(json.readTree(http.getForEntity(management("/actuator/health"), String.class).getBody())
                .path("components").path("redis").path("status").asText()).isEqualTo("UP");
    }

    @Test
    void theManagementPortListensOnLoopbackOnly() throws Exception {
        List<InetAddress> others = NetworkInterface.networkInterfaces()
                .flatMap(NetworkInterface::inetAddresses)
                .filter(address -> !address.isLoopbackAddress() && address instanceof Inet4Address)
                .toList();
        for (InetAddress address : others) {
            try (Socket socket = new Socket()) {
                assertThatThrownBy(() -> socket.connect(new InetSocketAddress(address, managementPort), 1000))
                        .as(address.toString()).isInstanceOf(IOException.class);
            }
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), managementPort), 1000);
        }
    }

    @Test
    void healthIsDownWhileARouteIsStopped() throws Exception {
        camel.getRouteController().stopRoute("chat-answer");
        try {
            ResponseEntity<String> down = http.getForEntity("/actuator/health", String.class);
            JsonNode health = json.readTree(down.getBody());
            assertThat(down.getStatusCode().value()).isEqualTo(503);
            assertThat(health.path("status").asText()).isEqualTo("DOWN");
        } finally {
            camel.getRouteController().startRoute("chat-answer");
        }
        ResponseEntity<String> up = http.getForEntity("/actuator/health", String.class);
        assertThat(up.getStatusCode().value()).isEqualTo(200);
    }
}
