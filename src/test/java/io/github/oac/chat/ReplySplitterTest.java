package io.github.oac.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.github.oac.config.ChatProperties;

class ReplySplitterTest {

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void cutsAtParagraphsFirst() {
        String first = "第一段。" + "很长的句子".repeat(30);
        String second = "第二段。" + "也很长".repeat(30);

        List<String> parts = ReplySplitter.split(first + "\n\n" + second, bytes(first) + 20);

        assertThat(parts).containsExactly(first, second);
    }

    @Test
    void thenAtSentenceEnds() {
        String text = "这是第一句。这是第二句！这是第三句？" + "后面还有很多很多字".repeat(3);

        List<String> parts = ReplySplitter.split(text, bytes("这是第一句。这是第二句！") + 5);

        assertThat(parts.get(0)).isEqualTo("这是第一句。这是第二句！");
        assertThat(String.join("", parts)).isEqualTo(text);
    }

    @Test
    void neverInsideAnEmojiSequenceFlagOrCodePoint() {
        String family = "👨‍👩‍👧‍👦"; // 25 bytes, one grapheme
        String text = ("ab" + family + "🇨🇳👍🏽中").repeat(40);

        for (int max = 30; max <= 120; max += 7) {
            List<String> parts = ReplySplitter.split(text, max);
            assertThat(String.join("", parts)).isEqualTo(text);
            for (String part : parts) {
                assertThat(bytes(part)).isLessThanOrEqualTo(max);
                assertThat(part).doesNotStartWith("\u200d").doesNotEndWith("\u200d");
                assertThat(Character.isLowSurrogate(part.charAt(0))).isFalse();
                assertThat(part.startsWith("🏽")).isFalse();
            }
        }
    }

    private static final AnswerDelivery.Label LABEL = new AnswerDelivery.Label("（本回复由AI生成）", false);

    @Test
    void aLongAnswerFillsFiveMessagesAndTheLastCarriesTheLabelAndTheHint() {
        ChatProperties.Delivery limits = limits();
        String paragraph = "这是一段用来测试分割的文字，包含标点。".repeat(20); // 1140 bytes
        String answer = String.join("\n\n", java.util.Collections.nCopies(12, paragraph));

        AnswerDelivery.Delivery delivery = AnswerDelivery.Delivery.of(answer, limits, "回复「继续」查看剩余内容", LABEL,
                LABEL.room());

        assertThat(delivery.parts()).hasSize(5);
        assertThat(delivery.rest()).isNotEmpty();
        List<String> sent = new java.util.ArrayList<>();
        while (delivery.hasNext()) {
            sent.add(delivery.nextText());
            delivery.advance();
        }
        sent.forEach(part -> assertThat(bytes(part)).isLessThanOrEqualTo(2048));
        assertThat(sent.get(4)).endsWith("\n\n（本回复由AI生成）\n\n回复「继续」查看剩余内容");
        assertThat(sent.subList(0, 4)).noneMatch(part -> part.contains("继续") || part.contains("AI生成"));
    }

    @Test
    void partsAreCutTheSameWithOrWithoutTheLabelSoAResumedTurnSendsTheSame() {
        String answer = "这是一段用来测试分割的文字，包含标点。".repeat(200);
        AnswerDelivery.Delivery labelled = AnswerDelivery.Delivery.of(answer, limits(), "hint", LABEL, LABEL.room());
        AnswerDelivery.Delivery plain = AnswerDelivery.Delivery.of(answer, limits(), "hint",
                AnswerDelivery.Label.NONE, LABEL.room());

        assertThat(labelled.parts()).isEqualTo(plain.parts());
        AnswerDelivery.Delivery atStart = AnswerDelivery.Delivery.of(answer, limits(), "hint",
                new AnswerDelivery.Label("（本回复由AI生成）", true), LABEL.room());
        assertThat(atStart.nextText()).startsWith("（本回复由AI生成）\n\n").hasSizeLessThanOrEqualTo(2048);
        assertThat(bytes(atStart.nextText())).isLessThanOrEqualTo(2048);
    }

    @Test
    void aShortAnswerIsOneMessageWithoutHint() {
        AnswerDelivery.Delivery delivery = AnswerDelivery.Delivery.of("短答案。",
                limits(), "hint", LABEL, LABEL.room());

        assertThat(delivery.parts()).containsExactly("短答案。");
        assertThat(delivery.rest()).isEmpty();
        assertThat(delivery.nextText()).isEqualTo("短答案。\n\n（本回复由AI生成）");
    }

    private static ChatProperties.Delivery limits() {
        return new ChatProperties.Delivery("push", java.time.Duration.ofMillis(4500), java.time.Duration.ofMillis(5500),
                3, java.time.Duration.ofSeconds(20), 100, 2048, 5, java.time.Duration.ofHours(48));
    }
}
