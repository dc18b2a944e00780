package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.test.context.TestPropertySource;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * The operator's word list through the real routes: a question with a listed word, however it is spelled (also in
 * traditional characters for a simplified entry and the other way round), is
 * refused without a model call; an answer with one is not delivered and leaves a dead letter; the list is loaded
 * again when the file changes.
 */
@TestPropertySource(properties = {
        "chat.moderation.words-file=target/moderation-test/words.txt",
        "chat.moderation.reload-interval=200ms",
})
class ModerationTest extends RouteTestSupport {

    private static final Path WORDS = Path.of("target/moderation-test/words.txt");

    static {
        try {
            Files.createDirectories(WORDS.getParent());
            Files.writeString(WORDS, "# the operator's list\n违禁词\nbadword\n發財秘訣\n\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Value("${chat.replies.blocked-question}")
    String blockedQuestion;
    @Value("${chat.replies.blocked-answer}")
    String blockedAnswer;
    @Autowired
    MeterRegistry metrics;

    @Test
    void aQuestionWithAListedWordHoweverSpelledOrInWhicheverChineseScriptIsRefusedWithoutAModelCall() {
        stubModelAnswer("should never be asked");
        double blockedBefore = blocked("question");
        List<String> spellings = List.of("这是违禁词吗", "这是违 禁 词吗", "违\u200B禁\u200D词", "ＢＡＤＷＯＲＤ!",
                "a B a D w O r D here", "bad\u3000word",
                "這是違禁詞嗎", "教我发财秘诀");

        for (String question : spellings) {
            String openid = newOpenid();
            postCallback(textMessage(openid, newMsgId(), question));
            await(() -> textsSentTo(openid), texts -> !texts.isEmpty());
            assertThat(textsSentTo(openid)).as(question).containsExactly(blockedQuestion);
        }
        awaitQuiet(Duration.ofSeconds(10));
        stubs.verify(0, com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlPathEqualTo(COMPLETIONS)));
        assertThat(blocked("question") - blockedBefore).isEqualTo(spellings.size());
    }

    @Test
    void anAnswerWithAListedWordIsNotDeliveredNorRememberedAndLeavesADeadLetter() throws Exception {
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson(completion("Here is a BadWord for you."))));
        String openid = newOpenid();
        String msgId = newMsgId();

        postCallback(textMessage(openid, msgId, "tell me something"));
        await(() -> textsSentTo(openid), texts -> !texts.isEmpty());
        awaitQuiet(Duration.ofSeconds(10));

        assertThat(textsSentTo(openid)).containsExactly(blockedAnswer);
        String memory = redis.opsForValue().get(keys.memory(openid));
        assertThat(memory == null ? "" : memory).doesNotContain("BadWord");
        Object letter = redis.opsForHash().get(keys.deadLetters(), msgId);
        assertThat(letter).isNotNull();
        assertThat(json.readTree(letter.toString()).path("reason").asText()).startsWith("moderated");
    }

    @Test
    void theListIsLoadedAgainWhenTheFileChanges() throws Exception {
        stubModelAnswer("an answer");
        Files.writeString(WORDS, "新加的词\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        await(() -> {
            String openid = newOpenid();
            postCallback(textMessage(openid, newMsgId(), "关于新加的词"));
            await(() -> textsSentTo(openid), texts -> !texts.isEmpty());
            return textsSentTo(openid);
        }, texts -> texts.equals(List.of(blockedQuestion)));
    }

    private double blocked(String stage) {
        return metrics.counter("oac.moderation", "stage", stage, "verdict", "blocked", "account", "default").count();
    }
}
