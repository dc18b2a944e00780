package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

/** Conversations as followers live them: memory, commands, long answers within WeChat's limits, fairness. */
@ExtendWith(OutputCaptureExtension.class)
class ConversationTest extends RouteTestSupport {

    @Value("${chat.replies.reset-done}")
    String resetDone;
    @Value("${chat.replies.nothing-pending}")
    String nothingPending;
    @Value("${chat.replies.continue-hint}")
    String continueHint;
    @Value("${chat.replies.rate-limited}")
    String rateLimited;
    @Value("${chat.replies.apology}")
    String apology;

    // ---- memory ----

    @Test
    void theNextQuestionCarriesTheSystemPromptAndTheLastExchange() throws Exception {
        String openid = newOpenid();
        stubAnswerTo("我叫小明", "你好，小明！");
        stubAnswerTo("我叫什么？", "你叫小明。");

        ask(openid, "我叫小明", 1);
        ask(openid, "我叫什么？", 2);

        JsonNode messages = bodyOf(modelCallsAsking("我叫什么？").get(0)).path("messages");
        assertThat(roles(messages)).containsExactly("system", "user", "assistant", "user");
        assertThat(messages.get(0).path("content").asText()).isEqualTo(SYSTEM_PROMPT);
        assertThat(messages.get(1).path("content").asText()).isEqualTo("我叫小明");
        assertThat(messages.get(2).path("content").asText()).isEqualTo("你好，小明！");
        assertThat(redis.getExpire(keys.memory(openid))).as("idle timeout, 30 min").isBetween(1700L, 1800L);
    }

    @Test
    void twoQuickMessagesAreAnsweredInOrderAndTheSecondSeesTheFirst() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[1].content", equalTo("first, slow")))
                .willReturn(okJson(completion("answer one")).withFixedDelay(400)));
        stubAnswerTo("second, fast", "answer two");

        postCallback(textMessage(openid, newMsgId(), "first, slow"));
        postCallback(textMessage(openid, newMsgId(), "second, fast"));

        await(() -> sendsTo(openid), list -> list.size() == 2);
        assertThat(textsSentTo(openid)).containsExactly("answer one", "answer two");
        assertThat(roles(bodyOf(modelCallsAsking("second, fast").get(0)).path("messages")))
                .containsExactly("system", "user", "assistant", "user");
    }

    @Test
    void aFailedCallLeavesNoHalfTurn() throws Exception {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[1].content", equalTo("doomed")))
                .willReturn(status(400)));
        stubAnswerTo("after the failure", "fine");

        ask(openid, "doomed", 1);
        ask(openid, "after the failure", 2);

        assertThat(textsSentTo(openid)).containsExactly(apology, "fine");
        assertThat(roles(bodyOf(modelCallsAsking("after the failure").get(0)).path("messages")))
                .containsExactly("system", "user");
    }

    @Test
    void resetCommandsForgetTheConversationWithoutAModelCall() throws Exception {
        for (String command : List.of("/reset", "重置", " 清除记忆 ")) {
            String openid = newOpenid();
            stubAnswerTo("remember me", "ok");
            ask(openid, "remember me", 1);

            ask(openid, command, 2);

            assertThat(textsSentTo(openid).get(1)).isEqualTo(resetDone);
            assertThat(redis.hasKey(keys.memory(openid))).isFalse();
            assertThat(modelCallsAsking(command)).isEmpty();
        }
    }

    // ---- answers that fit WeChat ----

    @Test
    void markdownAndReasoningBecomeAPlainAnswer() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("<think>the user wants a list</think>\n## 要点\n\n- **第一**\n- 第二 [链接](https://a.b)");

        ask(openid, "要点？", 1);

        assertThat(textsSentTo(openid)).containsExactly("要点\n\n• 第一\n• 第二 链接 (https://a.b)");
    }

    @Test
    void aLongAnswerGoesOutInFiveMessagesAndContinueSendsTheRest() throws Exception {
        String openid = newOpenid();
        String paragraph = "这是一个很长的回答中的一段，用来测试分割与配额。".repeat(24); // 1728 bytes
        String answer = String.join("\n\n", Collections.nCopies(8, paragraph)); // 8 paragraphs, ~13.8 KB
        stubModelAnswer(answer);

        ask(openid, "长一点", 5);

        List<String> first = textsSentTo(openid);
        first.forEach(part -> assertThat(part.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(2048));
        assertThat(first.get(4)).endsWith(continueHint);
        await(() -> redis.hasKey(keys.pending(openid)), Boolean.TRUE::equals);

        ask(openid, "继续", 8);

        List<String> all = textsSentTo(openid);
        assertThat(String.join("", all).replace(continueHint, "").replaceAll("\\s", ""))
                .isEqualTo(answer.replaceAll("\\s", ""));
        assertThat(modelCallsAsking("继续")).isEmpty();
        assertThat(redis.hasKey(keys.pending(openid))).isFalse();

        ask(openid, "继续", 9);
        assertThat(textsSentTo(openid).get(8)).isEqualTo(nothingPending);
    }

    @Test
    void quotaRefusalStopsTheAnswerAndKeepsTheRestForContinue() throws Exception {
        String openid = newOpenid();
        String paragraph = "配额测试的段落内容。".repeat(60); // 1800 bytes
        stubModelAnswer(paragraph + "\n\n" + paragraph.replace('配', '第') + "\n\n" + paragraph.replace('配', '三'));
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.text.content",
                        com.github.tomakehurst.wiremock.client.WireMock.containing("第额")))
                .willReturn(okJson("{\"errcode\":45047,\"errmsg\":\"out of response count limit\"}")));

        ask(openid, "quota", 2);

        String pending = await(() -> redis.opsForValue().get(keys.pending(openid)), java.util.Objects::nonNull);
        assertThat(sendsTo(openid)).as("no retry of 45047").hasSize(2);
        assertThat(pending).contains("第额").contains("三额");
    }

    @Test
    void aFollowerWechatWillNotReachIsDroppedAndMissingPermissionIsLoggedOnce(CapturedOutput output) {
        String unfollowed = newOpenid();
        stubModelAnswer("x");
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(unfollowed)))
                .willReturn(okJson("{\"errcode\":43004,\"errmsg\":\"require subscribe\"}")));
        ask(unfollowed, "gone?", 1);
        assertThat(redis.hasKey(keys.pending(unfollowed))).isFalse();

        String first = newOpenid();
        String second = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(first)))
                .willReturn(okJson("{\"errcode\":48001,\"errmsg\":\"api unauthorized\"}")));
        stubs.stubFor(post(urlPathEqualTo(SEND)).withRequestBody(matchingJsonPath("$.touser", equalTo(second)))
                .willReturn(okJson("{\"errcode\":48001,\"errmsg\":\"api unauthorized\"}")));
        ask(first, "permission?", 1);
        ask(second, "permission?", 1);

        long reports = output.getAll().lines().filter(line -> line.contains("has no customer-service permission"))
                .count();
        assertThat(reports).isEqualTo(1);
        assertThat(output.getAll()).doesNotContain(API_KEY);
    }

    @Test
    void typingIsShownOnlyWhenTheModelIsSlowAndItsFailureChangesNothing() throws Exception {
        String fast = newOpenid();
        stubAnswerTo("fast?", "quick");
        ask(fast, "fast?", 1);
        awaitQuiet(java.time.Duration.ofSeconds(15));
        assertThat(typingsTo(fast)).as("a fast answer is the only call").isEmpty();

        String slow = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[-1].content", equalTo("slow?")))
                .willReturn(okJson(completion("typed")).withFixedDelay(1500))); // chat.wechat.typing-delay: 1 s
        ask(slow, "slow?", 1);
        assertThat(typingsTo(slow)).hasSize(1);

        String other = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(TYPING)).willReturn(okJson("{\"errcode\":45080,\"errmsg\":\"no\"}")));
        ask(other, "slow?", 1);
        assertThat(textsSentTo(other)).containsExactly("typed");
    }

    private List<LoggedRequest> typingsTo(String openid) {
        return stubs.findAll(postRequestedFor(urlPathEqualTo(TYPING))
                .withRequestBody(matchingJsonPath("$.touser", equalTo(openid)))
                .withRequestBody(matchingJsonPath("$.command", equalTo("Typing"))));
    }

    // ---- providers ----

    @Test
    void providerExtrasGoWithEveryModelRequest(CapturedOutput output) throws Exception {
        String openid = newOpenid();
        stubModelAnswer("with extras");
        ask(openid, "extras?", 1);

        LoggedRequest request = modelCallsAsking("extras?").get(0);
        assertThat(request.getHeader("X-Provider-Extra")).isEqualTo("yes");
        assertThat(request.queryParameter("api-version").firstValue()).isEqualTo("2024-10-21");
        assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);

        String wrongKey = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(com.github.tomakehurst.wiremock.client.WireMock
                .aResponse().withStatus(401).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"Incorrect API key provided: " + API_KEY + "\"}}")));
        ask(wrongKey, "wrong key?", 1);
        assertThat(textsSentTo(wrongKey)).containsExactly(apology);
        assertThat(output.getAll()).contains("HTTP 401: Incorrect API key provided: ***").doesNotContain(API_KEY);
    }

    // ---- fairness ----

    @Test
    void overTheRateLimitAFollowerGetsAPoliteReplyAndNoModelCall() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("counted");
        for (int i = 1; i <= 10; i++) {
            assertThat(postCallback(textMessage(openid, newMsgId(), "q" + i)).getBody()).isEqualTo("success");
        }

        String over = postCallback(textMessage(openid, newMsgId(), "eleventh")).getBody();

        assertThat(new com.fasterxml.jackson.dataformat.xml.XmlMapper().readTree(over).path("Content").asText())
                .isEqualTo(rateLimited);
        await(() -> sendsTo(openid), list -> list.size() == 10);
        assertThat(modelCallsAsking("eleventh")).isEmpty();
        assertThat(postCallback(textMessage(openid, newMsgId(), "继续")).getBody()).as("commands are not limited")
                .isEqualTo("success");
    }

    // ---- helpers ----

    private void stubAnswerTo(String question, String answer) {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS))
                .withRequestBody(matchingJsonPath("$.messages[-1].content", equalTo(question)))
                .willReturn(okJson(completion(answer))));
    }

    /** Sends a question and waits until this follower has received `total` messages in all. */
    private void ask(String openid, String text, int total) {
        postCallback(textMessage(openid, newMsgId(), text));
        await(() -> sendsTo(openid), list -> list.size() >= total);
    }

    private static List<String> roles(JsonNode messages) {
        List<String> roles = new java.util.ArrayList<>();
        messages.forEach(message -> roles.add(message.path("role").asText()));
        return roles;
    }
}
