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

/** The /console page in a real Chromium, against the service with WeChat settings (WireMock for WeChat and model). */
class ConsoleBrowserTest extends RouteTestSupport {

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

    @Test
    void afterTrafficTheConsoleShowsCallbacksAndADeadLetterGoesAwayWhenReplayed() throws Exception {
        browser.open("http://localhost:" + port + "/console");
        browser.find(By.id("token-input")).sendKeys(ADMIN_TOKEN);
        browser.find(By.cssSelector("#token-form button[type=submit]")).click();
        browser.find(By.cssSelector("#status.ok"));

        // traffic while the console watches, so that its plots have something to show
        stubModelAnswer("An answer from the model.");
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
}
