package io.github.oac.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import io.github.oac.RouteTestSupport;

/**
 * With WeChat settings present, nothing of the sandbox exists: no page, no signing endpoint, no stand-in for
 * WeChat's API, no demo model. Nothing there can be used to get around the real callback's checks.
 */
class SandboxOffTest extends RouteTestSupport {

    @org.springframework.beans.factory.annotation.Autowired
    org.springframework.context.ApplicationContext context;

    @Test
    void everySandboxPathAnswers404WhenWechatSettingsArePresent() {
        List<String> gets = List.of("/sandbox", "/sandbox/", "/sandbox/index.html", "/sandbox/sandbox.js",
                "/sandbox/info", "/sandbox/events?openid=o1", "/sandbox/conversation?openid=o1");
        List<String> posts = List.of("/sandbox/callback", "/sandbox/api/cgi-bin/stable_token",
                "/sandbox/api/cgi-bin/message/custom/send?access_token=x", "/sandbox/api/cgi-bin/message/custom/typing",
                "/sandbox/demo-model/v1/chat/completions");
        HttpHeaders json = new HttpHeaders();
        json.setContentType(MediaType.APPLICATION_JSON);

        for (String path : gets) {
            assertThat(http.getForEntity(path, String.class).getStatusCode().value()).as(path).isEqualTo(404);
        }
        for (String path : posts) {
            ResponseEntity<String> response = http.postForEntity(path, new HttpEntity<>(
                    "{\"openid\":\"o1\",\"type\":\"text\",\"content\":\"hi\"}", json), String.class);
            assertThat(response.getStatusCode().value()).as(path).isEqualTo(404);
        }
        assertThat(sendsTo("o1")).isEmpty();
    }

    @Test
    void noneOfTheSandboxIsLoadedWhenWechatSettingsArePresent() {
        for (String route : List.of("sandbox-callback", "sandbox-conversation", "sandbox-info")) {
            assertThat(camel.getRoute(route)).as(route).isNull();
        }
        assertThat(camel.getRoutes()).as("no route serves a path under /sandbox")
                .noneMatch(route -> route.getEndpoint().getEndpointUri().contains("/sandbox"));
        for (String bean : List.of("sandboxCallbacks", "wechatStandIn", "demoModel", "sandboxChats", "sandboxInfo",
                "sandboxGate", "traceRecorder", "sandboxAnnouncement", "sandboxEvents")) {
            assertThat(context.containsBean(bean)).as(bean).isFalse();
        }
    }

    @Test
    void theConsolePageIsServedAndItsDataNeedsTheAdminToken() throws Exception {
        HttpHeaders bearer = new HttpHeaders();
        bearer.setBearerAuth(ADMIN_TOKEN);
        stubModelAnswer("counted");
        String openid = newOpenid();
        postCallback(textMessage(openid, newMsgId(), "count me"));
        await(() -> sendsTo(openid), list -> !list.isEmpty());

        ResponseEntity<String> page = http.getForEntity("/console", String.class);
        ResponseEntity<String> anonymous = http.getForEntity("/admin/stats", String.class);
        ResponseEntity<String> stats = http.exchange("/admin/stats", org.springframework.http.HttpMethod.GET,
                new HttpEntity<>(bearer), String.class);

        assertThat(page.getStatusCode().value()).isEqualTo(200);
        assertThat(page.getBody()).contains("Operator console");
        assertThat(anonymous.getStatusCode().value()).isEqualTo(403);
        assertThat(stats.getStatusCode().value()).isEqualTo(200);
        assertThat(stats.getBody()).contains("\"callbacks\"", "\"breakerOpen\":false", "\"model\"");
        assertThat(stats.getHeaders().containsKey("Authorization")).isFalse();
        com.fasterxml.jackson.databind.JsonNode numbers = this.json.readTree(stats.getBody());
        assertThat(numbers.path("callbacks").path("accepted").asDouble()).isPositive();
        assertThat(numbers.path("model").path("calls").asLong()).as(stats.getBody()).isPositive();
        assertThat(numbers.path("model").path("p50").isNumber()).isTrue();
        assertThat(numbers.path("sends").path("push 0").asDouble()).isPositive();
    }
}
