package io.github.oac.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import io.github.oac.Browser;

/** The /sandbox page in a real Chromium, with the demo model: what a newcomer sees first. */
class SandboxBrowserTest extends SandboxTestSupport {

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
    void aTypedQuestionIsAnsweredByTheDemoModelAndTheTraceShowsWhatHappened() {
        openAs("Alice");
        int before = accountBubbles().size();

        click(By.cssSelector("[data-action=subscribe]"));
        waitForAccountBubbles(before + 1);
        type("What can you do? Please retry once.");
        List<WebElement> answers = waitForAccountBubbles(before + 2);

        assertThat(answers.get(before).getText()).isEqualTo("欢迎关注！我是AI助手：直接发文字给我，我会尽快回答你（回答由人工智能生成）。");
        assertThat(answers.get(before + 1).getText()).startsWith(DemoModel.LABEL).contains("What can you do?");
        assertThat(browser.find(By.id("model-badge")).getText()).startsWith("Demo model");
        List<String> trace = browser.until(d -> {
            List<String> steps = d.findElements(By.cssSelector("#trace-list li")).stream()
                    .map(li -> li.getAttribute("data-step")).toList();
            return steps.contains("answered") ? steps : null;
        });
        // auto delivery (hybrid): the answer is the callback's own reply, after the model's retry
        assertThat(trace).containsSubsequence("callback", "model", "model", "answered").doesNotContain("send");
        assertThat(browser.find(By.id("trace-list")).getText()).contains("HTTP 503").contains("HTTP 200");
        browser.screenshot("sandbox", Path.of("docs/sandbox.png"));
    }

    @Test
    void aFollowerOfTheSecondAccountIsWelcomedAndAnsweredTheShopsWay() {
        openAs("小红");
        assertThat(browser.find(By.id("account-name")).getText()).isEqualTo("小店 Shop");
        assertThat(browser.find(By.id("follower-list")).getText()).contains("/wechat/shop");
        int before = accountBubbles().size();

        click(By.cssSelector("[data-action=subscribe]"));
        waitForAccountBubbles(before + 1);
        type("你们卖什么？");
        List<WebElement> answers = waitForAccountBubbles(before + 2);

        assertThat(answers.get(before).getText()).isEqualTo(SandboxSetup.SHOP_WELCOME);
        assertThat(answers.get(before + 1).getText()).contains("demo-shop").contains("小店");
        browser.until(d -> d.findElement(By.id("trace-list")).getText().contains("POST /wechat/shop") ? "shown" : null);
        browser.screenshot("sandbox-shop", null);
    }

    @Test
    void aLongAnswerArrivesInPartsAndContinueBringsTheRest() {
        openAs("Bob");
        int before = accountBubbles().size();

        type("Tell me something long");
        List<WebElement> parts = waitForAccountBubbles(before + 5);
        assertThat(parts.get(before + 4).getText()).endsWith("回复「继续」查看剩余内容")
                .as("the first batch is labelled on its last part").contains("（本回复由AI生成）");
        assertThat(parts.subList(before, before + 4)).noneMatch(part -> part.getText().contains("AI生成"));
        click(By.cssSelector("[data-action=continue]"));

        WebElement end = browser.until(d -> accountBubbles().stream().filter(b -> b.getText().contains("The end"))
                .findFirst().orElse(null));
        assertThat(accountBubbles().size()).isGreaterThan(before + 5);
        assertThat(end.getText()).as("and so is the rest brought by 继续").endsWith("（本回复由AI生成）");
        browser.screenshot("sandbox-long-answer", null);
    }

    @Test
    void followersHaveTheirOwnConversationsAndVoiceAndMenuWork() {
        openAs("小明");
        int before = accountBubbles().size();

        click(By.id("voice-toggle"));
        type("语音里的问题");
        click(By.id("voice-toggle"));
        click(By.cssSelector("[data-action=click]"));
        List<WebElement> answers = browser.until(d -> {
            List<WebElement> bubbles = accountBubbles();
            return bubbles.size() >= before + 2 ? bubbles : null;
        });

        assertThat(answers.stream().map(WebElement::getText).toList())
                .anyMatch(t -> t.equals(SandboxSetup.HELP))
                .anyMatch(t -> t.contains("语音里的问题"));
        openAs("Bob");
        browser.until(d -> accountBubbles().stream().noneMatch(b -> b.getText().contains("语音里的问题")));
    }

    private void openAs(String name) {
        if (!browser.driver().getCurrentUrl().endsWith("/sandbox")) {
            browser.open(url("/sandbox"));
        }
        browser.find(By.xpath("//ul[@id='follower-list']//button[.//span[text()='" + name + "']]")).click();
        browser.until(d -> d.findElement(By.cssSelector("#follower-list button[aria-current=true]")).getText()
                .contains(name));
        // the history arrives first on the event stream: the list is complete when the trace panel has content
        browser.until(d -> !d.findElements(By.cssSelector("#trace-list li")).isEmpty());
    }

    private void type(String text) {
        WebElement input = browser.find(By.id("text"));
        input.sendKeys(text);
        browser.find(By.id("send")).click();
    }

    private void click(By by) {
        browser.find(by).click();
    }

    private List<WebElement> accountBubbles() {
        return browser.all(By.cssSelector(".bubble[data-from=account]"));
    }

    private List<WebElement> waitForAccountBubbles(int count) {
        return browser.until(d -> {
            List<WebElement> bubbles = accountBubbles();
            return bubbles.size() >= count ? bubbles : null;
        });
    }
}
