package io.github.oac.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import com.fasterxml.jackson.databind.JsonNode;

/** Sandbox mode through its HTTP API: what the page does, without a browser. */
class SandboxTest extends SandboxTestSupport {

    @Test
    void aQuestionFromThePageIsAnsweredByTheDemoModelThroughTheRealRoutes() throws Exception {
        String openid = newOpenid();

        ResponseEntity<String> response = sendAs(openid, Map.of("type", "text", "content", "What is **Camel**?"));

        assertThat(response.getStatusCode().value()).isEqualTo(200);
        JsonNode outcome = json.readTree(response.getBody());
        assertThat(outcome.path("status").asInt()).isEqualTo(200);
        assertThat(outcome.path("admission").asText()).isEqualTo("accepted");
        List<String> answers = await(() -> accountTexts(openid));
        assertThat(answers).singleElement().asString()
                .startsWith(DemoModel.LABEL)
                .contains("What is Camel?")   // Markdown became plain text on the way
                .doesNotContain("**");
        // the default delivery (auto: hybrid) answers inside the callback's reply: no customer-service message, and
        // no typing step either (the demo model answers well within chat.wechat.typing-delay)
        assertThat(steps(openid)).containsSubsequence("callback", "model", "answered").doesNotContain("typing", "send");
        assertThat(details(openid, "answered")).singleElement().asString().contains("a passive reply")
                .contains("reply: passive");
    }

    @Test
    void theSandboxsSecondAccountAnswersAtItsOwnUrlWithItsOwnPromptModelWelcomeAndLabel() throws Exception {
        String customer = newOpenid();
        String home = newOpenid();

        sendAs(customer, Map.of("type", "subscribe", "account", "shop"));
        JsonNode outcome = json.readTree(sendAs(customer, Map.of("type", "text", "content", "卖什么？",
                "account", "shop")).getBody());
        sendAs(home, Map.of("type", "text", "content", "卖什么？"));

        assertThat(outcome.path("status").asInt()).isEqualTo(200);
        List<String> answers = await(() -> accountTexts(customer), texts -> texts.size() == 2);
        assertThat(answers.get(0)).isEqualTo(SandboxSetup.SHOP_WELCOME);
        assertThat(answers.get(1)).contains("demo-shop").contains(SandboxSetup.SHOP_PROMPT.substring(0, 10))
                .endsWith("（本回复由小店的 AI 生成）");
        assertThat(await(() -> accountTexts(home))).singleElement().asString().contains("model demo,")
                .doesNotContain("小店");
        assertThat(details(customer, "callback")).anyMatch(detail -> detail.contains("POST /wechat/shop"));
        assertThat(redis.hasKey("oac:{shop:" + customer + "}:memory")).isTrue();
        assertThat(sendAs(home, Map.of("type", "text", "content", "x", "account", "nope")).getStatusCode().value())
                .isEqualTo(400);
    }

    @Test
    void aRetryQuestionFailsOnceAndTheModelRouteRetriesIt() throws Exception {
        String openid = newOpenid();

        sendAs(openid, Map.of("type", "text", "content", "please retry"));

        await(() -> accountTexts(openid));
        List<String> model = details(openid, "model");
        assertThat(model).hasSize(2);
        assertThat(model.get(0)).as("which provider was asked, and how it went").startsWith("default: attempt 1 → HTTP 503");
        assertThat(model.get(1)).startsWith("default: attempt 2 → HTTP 200");
    }

    @Test
    void aLongAnswerGoesOutInFivePartsAndContinueSendsTheRest() throws Exception {
        String openid = newOpenid();

        sendAs(openid, Map.of("type", "text", "content", "something long please"));
        List<String> first = Awaitility.await().atMost(Duration.ofSeconds(15))
                .until(() -> accountTexts(openid), texts -> texts.size() == 5);
        assertThat(first.get(4)).endsWith("回复「继续」查看剩余内容");
        sendAs(openid, Map.of("type", "text", "content", "继续"));

        List<String> all = Awaitility.await().atMost(Duration.ofSeconds(15))
                .until(() -> accountTexts(openid), texts -> texts.stream().anyMatch(t -> t.contains("The end")));
        assertThat(all.size()).isGreaterThan(5);
    }

    @Test
    void followingClickingAndSpeakingGetTheirPassiveReplies() throws Exception {
        String openid = newOpenid();

        JsonNode subscribed = json.readTree(sendAs(openid, Map.of("type", "subscribe")).getBody());
        JsonNode clicked = json.readTree(sendAs(openid, Map.of("type", "click", "eventKey", "HELP")).getBody());
        JsonNode unheard = json.readTree(sendAs(openid, Map.of("type", "voice", "recognition", "")).getBody());
        sendAs(openid, Map.of("type", "voice", "recognition", "语音识别的问题"));

        assertThat(subscribed.path("passiveReply").asText()).isEqualTo("欢迎关注！我是AI助手：直接发文字给我，我会尽快回答你（回答由人工智能生成）。");
        assertThat(clicked.path("passiveReply").asText()).isEqualTo(SandboxSetup.HELP);
        assertThat(unheard.path("passiveReply").asText()).contains("没能听清");
        List<String> texts = Awaitility.await().atMost(Duration.ofSeconds(15))
                .until(() -> accountTexts(openid), list -> list.size() == 4);
        assertThat(texts.get(3)).contains("语音识别的问题");
    }

    @Test
    void anUnfollowedFollowerGetsNoCustomerServiceMessage() throws Exception {
        String openid = newOpenid();
        sendAs(openid, Map.of("type", "unsubscribe"));

        String token = json.readTree(postJson("/sandbox/api/cgi-bin/stable_token",
                "{\"grant_type\":\"client_credential\",\"appid\":\"" + SandboxSetup.SANDBOX_APP_ID
                        + "\",\"secret\":\"guess\"}").getBody()).path("errcode").asText();
        String sent = postJson("/sandbox/api/cgi-bin/message/custom/send?access_token=guess",
                "{\"touser\":\"" + openid + "\",\"msgtype\":\"text\",\"text\":{\"content\":\"hi\"}}").getBody();

        assertThat(token).isEqualTo("40125");            // the secret never left the process: nobody can guess it
        assertThat(json.readTree(sent).path("errcode").asInt()).isEqualTo(40001);
        assertThat(accountTexts(openid)).isEmpty();
    }

    @Test
    void theStandInAndTheDemoModelAreReachedOnTheRealListeningPort() {
        assertThat(camel.resolvePropertyPlaceholders("{{chat.wechat.api-base-url}}"))
                .isEqualTo("http://127.0.0.1:" + port + "/sandbox/api");
        assertThat(camel.resolvePropertyPlaceholders("{{chat.openai.base-url}}"))
                .isEqualTo("http://127.0.0.1:" + port + "/sandbox/demo-model/v1");
    }

    @Test
    void badInputGets4xxWithoutEchoingAnything() {
        HttpHeaders form = new HttpHeaders();
        form.setContentType(MediaType.APPLICATION_FORM_URLENCODED);
        form.add("X-Secret-Probe", "echo-me");
        ResponseEntity<String> formPost = http.postForEntity("/sandbox/callback", new HttpEntity<>("x", form),
                String.class);
        ResponseEntity<String> notJson = postJson("/sandbox/callback", "{\"openid\":");
        ResponseEntity<String> unknownType = postJson("/sandbox/callback", "{\"openid\":\"o1\",\"type\":\"image\"}");
        ResponseEntity<String> badOpenid = postJson("/sandbox/callback", "{\"openid\":\"<b>\",\"type\":\"text\"}");
        ResponseEntity<String> emptyText = postJson("/sandbox/callback",
                "{\"openid\":\"o1\",\"type\":\"text\",\"content\":\"\"}");
        ResponseEntity<String> notChat = postJson("/sandbox/demo-model/v1/chat/completions", "{\"messages\":1}");
        ResponseEntity<String> emptyToModel = postJson("/sandbox/demo-model/v1/chat/completions", "");
        ResponseEntity<String> emptyCallback = postJson("/sandbox/callback", "");
        ResponseEntity<String> noOpenid = http.getForEntity("/sandbox/events", String.class);
        HttpHeaders probe = new HttpHeaders();
        probe.add("X-Secret-Probe", "echo-me");
        ResponseEntity<String> get = http.exchange("/sandbox/callback", HttpMethod.GET, new HttpEntity<>(probe),
                String.class);

        assertThat(formPost.getStatusCode().value()).isEqualTo(415);
        assertThat(List.of(notJson, unknownType, badOpenid, emptyText, notChat, noOpenid, emptyToModel, emptyCallback))
                .allSatisfy(r -> assertThat(r.getStatusCode().value()).isEqualTo(400));
        assertThat(get.getStatusCode().is4xxClientError()).isTrue();
        assertThat(List.of(formPost, notJson, unknownType, get))
                .allSatisfy(r -> assertThat(r.getHeaders().containsKey("X-Secret-Probe")).isFalse());
        assertThat(unknownType.getBody()).contains("type must be text, voice, subscribe, unsubscribe or click");
    }

    @Test
    void aPageServedUnderAnotherHostNameCannotUseTheSandbox() {
        HttpHeaders rebound = new HttpHeaders();
        rebound.set("Host", "attacker.example:" + port);

        ResponseEntity<String> response = http.exchange("/sandbox/info", HttpMethod.GET, new HttpEntity<>(rebound),
                String.class);

        assertThat(response.getStatusCode().value()).isEqualTo(403);
    }

    private List<String> steps(String openid) throws Exception {
        List<String> steps = new java.util.ArrayList<>();
        conversation(openid).path("trace").forEach(t -> steps.add(t.path("step").asText()));
        return steps;
    }

    private List<String> details(String openid, String step) throws Exception {
        List<String> details = new java.util.ArrayList<>();
        conversation(openid).path("trace").forEach(t -> {
            if (step.equals(t.path("step").asText())) {
                details.add(t.path("detail").asText());
            }
        });
        return details;
    }

    private <T extends java.util.Collection<?>> T await(java.util.concurrent.Callable<T> probe) {
        return await(probe, result -> !result.isEmpty());
    }

    private <T> T await(java.util.concurrent.Callable<T> probe, java.util.function.Predicate<T> done) {
        return Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                .until(probe, done::test);
    }
}
