package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The /console page in a real Chromium, against the service with WeChat settings (WireMock for WeChat and model) and
 * several Official Accounts (AccountsTestSupport).
 */
class ConsoleBrowserTest extends AccountsTestSupport {

    private static Browser browser;

    @LocalServerPort
    int port;

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

    /** The console signed in, every account picked (the tab keeps its token and pick between tests). */
    private void openConsole() {
        browser.open("http://localhost:" + port + "/console");
        browser.until(d -> d.findElement(By.id("token-form")).isDisplayed()
                || d.findElement(By.id("app")).isDisplayed());
        if (browser.driver().findElement(By.id("token-form")).isDisplayed()) {
            browser.find(By.id("token-input")).sendKeys(ADMIN_TOKEN);
            browser.find(By.cssSelector("#token-form button[type=submit]")).click();
        }
        browser.find(By.cssSelector("#status.ok"));
        browser.until(d -> d.findElement(By.id("account-picker")).isDisplayed());
        browser.find(By.cssSelector("#account option[value='']")).click();
    }

    @Test
    void afterTrafficTheConsoleShowsCallbacksAndADeadLetterGoesAwayWhenReplayed() throws Exception {
        openConsole();

        // traffic while the console watches, so that its plots have something to show; the model counts tokens
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson("{\"choices\":[{\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"An answer from the model.\"}}],\"usage\":{\"prompt_tokens\":30,"
                + "\"completion_tokens\":12}}")));
        String spender = newOpenid();
        for (int i = 0; i < 2; i++) {
            postCallback(textMessage(spender, newMsgId(), "spend " + i));
        }
        for (int i = 0; i < 6; i++) {
            String openid = newOpenid();
            postCallback(textMessage(openid, newMsgId(), "question " + i));
            postCallback(eventMessage(newOpenid(), "subscribe", null));
            await(() -> sendsTo(openid), list -> !list.isEmpty());
            Thread.sleep(700);
        }
        // WeChat refuses: an openid it does not know (40003) makes a dead letter (not 48001: that is logged once
        // per process, which ConversationTest checks in this same context)
        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":40003,\"errmsg\":\"invalid openid\"}")));
        String unlucky = newOpenid();
        String msgId = newMsgId();
        postCallback(textMessage(unlucky, msgId, "will not arrive"));
        awaitTurnsFinished(unlucky);

        browser.until(d -> Integer.parseInt(d.findElement(By.id("tile-callbacks")).getText().replace(",", "")
                .replace("–", "0")) >= 13);
        browser.find(By.cssSelector("tr[data-id='" + msgId + "']"));
        assertThat(browser.find(By.id("tile-breaker")).getText()).isEqualTo("closed");
        assertThat(browser.find(By.cssSelector("#providers tr[data-provider='default']")).getText())
                .as("the provider: breaker closed, nobody waiting for its limits (none set), no pause")
                .startsWith("default closed 0 –");
        String masked = io.github.oac.wechat.Openids.masked(spender);
        String top = browser.until(d -> {
            String first = d.findElement(By.id("top-followers")).getText();
            return first.startsWith(masked) && first.contains("84") ? first : null;
        });
        assertThat(top).as("the follower the model spent the most on, masked, first").doesNotContain(spender);
        Thread.sleep(2500); // one more poll: the plots come back to zero
        browser.screenshot("console", Path.of("docs/console.png"));

        stubs.stubFor(post(urlPathEqualTo(SEND)).willReturn(okJson("{\"errcode\":0,\"errmsg\":\"ok\"}")));
        browser.find(By.cssSelector("button[data-replay='" + msgId + "']")).click();

        browser.until(d -> d.findElements(By.cssSelector("tr[data-id='" + msgId + "']")).isEmpty());
        // the first send was the one WeChat refused with 40003; the replay's is the second
        assertThat(await(() -> textsSentTo(unlucky), list -> list.size() == 2))
                .containsExactly("An answer from the model.", "An answer from the model.");
        browser.screenshot("console-after-replay", null);
    }

    @Test
    void thePickerNarrowsTheFiguresAndTheLettersToOneAccountAndAReplayStaysInIt() throws Exception {
        openConsole();
        stubModelAnswer("An answer from the model.");
        String customer = newOpenid();
        String home = newOpenid();
        String deskLetter = newMsgId();
        String homeLetter = newMsgId();
        stubs.stubFor(post(urlPathEqualTo(SEND)).atPriority(1).willReturn(okJson(
                "{\"errcode\":40003,\"errmsg\":\"invalid openid\"}")));
        postTo("desk", DESK_TOKEN, textMessage(customer, deskLetter, "a desk question"));
        postCallback(textMessage(home, homeLetter, "a home question"));
        awaitQuiet(java.time.Duration.ofSeconds(15));
        browser.find(By.cssSelector("tr[data-id='" + deskLetter + "'][data-account='desk']"));
        browser.find(By.cssSelector("tr[data-id='" + homeLetter + "'][data-account='default']"));

        browser.find(By.cssSelector("#account option[value='desk']")).click();

        browser.until(d -> d.findElements(By.cssSelector("tr[data-id='" + homeLetter + "']")).isEmpty());
        browser.find(By.cssSelector("tr[data-id='" + deskLetter + "']"));
        browser.until(d -> d.findElement(By.id("tile-callbacks")).getText().equals("1"));
        browser.until(d -> d.findElement(By.id("tile-dead")).getText().equals("1"));

        stubs.stubFor(post(urlPathEqualTo(SEND)).atPriority(1).willReturn(okJson(
                "{\"errcode\":0,\"errmsg\":\"ok\"}")));
        browser.find(By.cssSelector("button[data-replay='" + deskLetter + "']")).click();
        browser.until(d -> d.findElements(By.cssSelector("tr[data-id='" + deskLetter + "']")).isEmpty());
        assertThat(await(() -> textsSentTo(customer), list -> list.size() == 2))
                .as("answered again, at the desk").containsExactly("An answer from the model.",
                        "An answer from the model.");
        assertThat(redis.opsForHash().hasKey(keys.forAccount("desk").deadLetters(), deskLetter)).isFalse();
        assertThat(redis.opsForHash().hasKey(keys.deadLetters(), homeLetter)).as("the other account's stays")
                .isTrue();
        browser.find(By.cssSelector("#account option[value='']")).click();
    }
}
