package io.github.oac.sandbox;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.github.oac.Browser;

/** Sandbox mode with a model server configured (OPENAI_BASE_URL, as for a local Ollama): the real model answers. */
@CamelSpringBootTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "chat.wechat.token=",
        "chat.wechat.app-id=",
        "chat.wechat.app-secret=",
        "chat.openai.api-key=",
        "chat.openai.model=local-model",
        "chat.redis.data-dir=target/test-redis/${random.uuid}",
        "chat.queue.poll-timeout=500", // stops in 0.5 s, not 5 (RouteTestSupport says why)
})
class SandboxRealModelBrowserTest {

    private static final WireMockServer model = new WireMockServer(WireMockConfiguration.options().dynamicPort());
    private static Browser browser;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void modelServer(DynamicPropertyRegistry registry) {
        model.start();
        // Dynamic properties arrive after SandboxSetup has chosen the demo model (a real OPENAI_BASE_URL is seen
        // before; SandboxSetupTest covers that): say here what it would have decided.
        registry.add("chat.openai.base-url", () -> model.baseUrl() + "/v1");
        registry.add("chat.openai.api-key", () -> "unused");
        registry.add("chat.openai.model", () -> "local-model");
        registry.add("chat.sandbox.demo-model", () -> "false");
    }

    @BeforeAll
    static void startBrowser() {
        browser = Browser.start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        model.stop();
    }

    @Test
    void aTypedQuestionIsAnsweredByTheConfiguredModel() {
        model.stubFor(post(urlPathEqualTo("/v1/chat/completions")).willReturn(okJson(
                "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello from **WireMock**\"},"
                        + "\"finish_reason\":\"stop\"}]}")));

        browser.open("http://localhost:" + port + "/sandbox");
        String badge = browser.until(d -> {
            String text = d.findElement(By.id("model-badge")).getText();
            return text.startsWith("Model:") ? text : null;
        });
        assertThat(badge).isEqualTo("Model: local-model");
        browser.find(By.id("text")).sendKeys("Who answers?");
        browser.find(By.id("send")).click();

        String answer = browser.<String>until(d -> d.findElements(By.cssSelector(".bubble[data-from=account]"))
                .stream().map(e -> e.getText()).filter(t -> t.contains("WireMock")).findFirst().orElse(null));
        assertThat(answer).as("shown as WeChat shows it: with the AI label").startsWith("Hello from WireMock")
                .endsWith("（本回复由AI生成）");
        model.verify(postRequestedFor(urlPathEqualTo("/v1/chat/completions")));
    }
}
