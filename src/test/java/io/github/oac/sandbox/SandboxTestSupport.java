package io.github.oac.sandbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The service as a newcomer starts it: no WeChat settings, no model settings, so sandbox mode with the WeChat
 * stand-in and the demo model, on a random port. Test classes sharing this configuration share one context.
 */
@CamelSpringBootTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "chat.wechat.token=",
        "chat.wechat.app-id=",
        "chat.wechat.app-secret=",
        "chat.openai.api-key=",
        "chat.sandbox.enabled=false",
        "chat.admin.token=" + SandboxTestSupport.ADMIN_TOKEN,
        "chat.redelivery.openai.redelivery-delay=50",
        "chat.redelivery.wechat.redelivery-delay=20",
        "chat.recovery.interval=500",
        "chat.redis.data-dir=target/test-redis/${random.uuid}",
        "chat.queue.poll-timeout=500", // stops in 0.5 s, not 5 (RouteTestSupport says why)
        "chat.queue.consumers=64", // as RouteTestSupport, and why
})
public abstract class SandboxTestSupport {

    static final String ADMIN_TOKEN = "sandbox-admin-token";

    @LocalServerPort
    protected int port;
    @Autowired
    protected TestRestTemplate http;
    @Autowired
    protected ObjectMapper json;
    @Autowired
    protected CamelContext camel;
    @Autowired
    protected StringRedisTemplate redis;

    @AfterEach
    void awaitNothingInFlight() {
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> redis.keys("oac:{*}:inbox").isEmpty()
                        && camel.getInflightRepository().size() == 0);
    }

    protected String url(String path) {
        return "http://localhost:" + port + path;
    }

    protected ResponseEntity<String> postJson(String path, String body) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        return http.postForEntity(path, new HttpEntity<>(body, headers), String.class);
    }

    protected ResponseEntity<String> sendAs(String openid, Map<String, String> message) throws Exception {
        Map<String, String> body = new java.util.LinkedHashMap<>(message);
        body.put("openid", openid);
        return postJson("/sandbox/callback", json.writeValueAsString(body));
    }

    protected JsonNode conversation(String openid) throws Exception {
        return json.readTree(http.getForObject("/sandbox/conversation?openid=" + openid, String.class));
    }

    /** The texts the account sent this follower (passive replies and customer-service messages), in order. */
    protected List<String> accountTexts(String openid) throws Exception {
        List<String> texts = new java.util.ArrayList<>();
        for (JsonNode bubble : conversation(openid).path("bubbles")) {
            if ("account".equals(bubble.path("from").asText())) {
                texts.add(bubble.path("text").asText());
            }
        }
        return texts;
    }

    protected static String newOpenid() {
        return "oSbxTest_" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }
}
