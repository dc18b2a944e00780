package io.github.oac;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.databind.JsonNode;

import io.github.oac.store.EmbeddedRedis;
import io.github.oac.store.RedisEndpoint;

/** /actuator/health is UP only while the routes and Redis are. */
class HealthTest extends RouteTestSupport {

    @Autowired
    RedisEndpoint redisEndpoint;

    @Test
    void healthIsDownWhileRedisIsDownAndUpWhenItIsBack() throws Exception {
        EmbeddedRedis server = redisEndpoint.embedded().orElseThrow();
        server.close();
        try {
            ResponseEntity<String> down = http.getForEntity("/actuator/health", String.class);
            assertThat(down.getStatusCode().value()).isEqualTo(503);
            assertThat(json.readTree(down.getBody()).path("components").path("redis").path("status").asText())
                    .isEqualTo("DOWN");
        } finally {
            server.restart();
        }
        await(() -> http.getForEntity("/actuator/health", String.class).getStatusCode().value(), s -> s == 200);
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
