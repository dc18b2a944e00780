package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * An OpenAI-compatible moderation service (stubbed, as the model is), asked about questions and answers, with the
 * default policies for when it is down: questions pass (open), answers are not delivered (closed).
 */
@TestPropertySource(properties = {
        "chat.moderation.api.api-key=mod-key-never-logged",
        "chat.moderation.api.retries=1",
        "chat.moderation.api.retry-delay=20",
})
class ModerationServiceTest extends RouteTestSupport {

    private static final String MODERATIONS = "/v1/moderations";

    @DynamicPropertySource
    static void moderationService(DynamicPropertyRegistry registry) {
        registry.add("chat.moderation.api.base-url", () -> stubs.baseUrl() + "/v1");
    }

    @Value("${chat.replies.blocked-question}")
    String blockedQuestion;
    @Value("${chat.replies.blocked-answer}")
    String blockedAnswer;

    @Test
    void aQuestionTheServiceFlagsIsRefusedWithoutAModelCall() {
        stubModeration();
        stubModelAnswer("never");
        String openid = newOpenid();

        postCallback(textMessage(openid, newMsgId(), "a flagged question"));
        await(() -> textsSentTo(openid), texts -> !texts.isEmpty());
        awaitQuiet(Duration.ofSeconds(10));

        assertThat(textsSentTo(openid)).containsExactly(blockedQuestion);
        assertThat(modelCallsAsking("a flagged question")).isEmpty();
        stubs.verify(postRequestedFor(com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo(MODERATIONS))
                .withHeader("Authorization", equalTo("Bearer mod-key-never-logged"))
                .withRequestBody(matchingJsonPath("$.model", equalTo("omni-moderation-latest")))
                .withRequestBody(matchingJsonPath("$.input", equalTo("a flagged question"))));
    }

    @Test
    void anAnswerTheServiceFlagsIsNotDelivered() {
        stubModeration();
        stubModelAnswer("a flagged answer");
        String openid = newOpenid();
        String msgId = newMsgId();

        postCallback(textMessage(openid, msgId, "an innocent question"));
        await(() -> textsSentTo(openid), texts -> !texts.isEmpty());
        awaitQuiet(Duration.ofSeconds(10));

        assertThat(textsSentTo(openid)).containsExactly(blockedAnswer);
        assertThat(redis.opsForHash().get(keys.deadLetters(), msgId)).as("a dead letter says why").isNotNull();
    }

    @Test
    void withTheServiceDownQuestionsPassAndAnswersAreHeldBack() {
        stubs.stubFor(post(urlPathEqualTo(MODERATIONS)).willReturn(status(503)));
        stubModelAnswer("an answer nobody could check");
        String openid = newOpenid();

        postCallback(textMessage(openid, newMsgId(), "asked while it is down"));
        await(() -> textsSentTo(openid), texts -> !texts.isEmpty());
        awaitQuiet(Duration.ofSeconds(10));

        assertThat(modelCallsAsking("asked while it is down")).as("the question passed (open)").hasSize(1);
        assertThat(textsSentTo(openid)).as("the answer did not (closed)").containsExactly(blockedAnswer);
        assertThat(stubs.findAll(postRequestedFor(urlPathEqualTo(MODERATIONS)))).as("each check tried twice")
                .hasSize(4);
    }

    /** Flags any input containing "flagged". */
    private static void stubModeration() {
        stubs.stubFor(post(urlPathEqualTo(MODERATIONS))
                .willReturn(okJson("{\"id\":\"modr-1\",\"results\":[{\"flagged\":false}]}")));
        stubs.stubFor(post(urlPathEqualTo(MODERATIONS)).withRequestBody(containing("flagged"))
                .willReturn(okJson("{\"id\":\"modr-2\",\"results\":[{\"flagged\":true}]}")));
    }
}
