package io.github.oac.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import io.github.oac.Browser;

/**
 * A newcomer's sandbox, without ADMIN_TOKEN: the operator console linked from the sandbox page opens without asking
 * for a token, since on loopback the sandbox made one for this run and hands it to the console page.
 */
@TestPropertySource(properties = "chat.admin.token=")
class SandboxConsoleBrowserTest extends SandboxTestSupport {

    private static Browser browser;

    @BeforeAll
    static void startBrowser() {
        browser = Browser.start();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void theSandboxHandsTheConsoleThisRunsAdminToken() throws Exception {
        ResponseEntity<String> handed = http.getForEntity("/sandbox/console-token", String.class);
        assertThat(handed.getStatusCode().value()).isEqualTo(200);
        String token = json.readTree(handed.getBody()).path("token").asText();
        assertThat(token).hasSizeGreaterThanOrEqualTo(32);

        HttpHeaders bearer = new HttpHeaders();
        bearer.setBearerAuth(token);
        assertThat(http.exchange("/admin/stats", HttpMethod.GET, new HttpEntity<>(bearer), String.class)
                .getStatusCode().value()).isEqualTo(200);
        assertThat(http.getForEntity("/admin/stats", String.class).getStatusCode().value())
                .as("still a token, not an open door").isEqualTo(403);
    }

    @Test
    void theConsoleOpenedFromTheSandboxShowsItsNumbersWithoutAskingForAToken() {
        browser.open(url("/sandbox"));
        browser.find(By.cssSelector("a[href='/console']"));
        browser.open(url("/console"));

        browser.until(d -> d.findElement(By.id("status")).getText().startsWith("live") ? true : null);
        assertThat(browser.all(By.id("token-form")).get(0).isDisplayed()).as("no token asked for").isFalse();
        assertThat(browser.find(By.id("app")).isDisplayed()).isTrue();
    }
}
