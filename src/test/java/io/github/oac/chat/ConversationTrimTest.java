package io.github.oac.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.github.oac.chat.ChatRequest.ChatMessage;

class ConversationTrimTest {

    private static List<ChatMessage> exchanges(int count, int chars) {
        List<ChatMessage> turns = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            turns.add(new ChatMessage("user", "q" + i + "x".repeat(chars)));
            turns.add(new ChatMessage("assistant", "a" + i + "x".repeat(chars)));
        }
        return turns;
    }

    @Test
    void dropsWholeOldestExchangesBeyondTheTurnLimit() {
        List<ChatMessage> turns = exchanges(12, 0);

        Conversation.trim(turns, 10, 100_000);

        assertThat(turns).hasSize(20);
        assertThat(turns.get(0).content()).isEqualTo("q2");
        assertThat(turns.get(0).role()).isEqualTo("user");
    }

    @Test
    void dropsOldestExchangesBeyondTheCharacterBudget() {
        List<ChatMessage> turns = exchanges(5, 98); // 100 chars a message

        Conversation.trim(turns, 10, 450);

        assertThat(turns).hasSize(4);
        assertThat(turns.get(0).text()).startsWith("q3");
    }

    @Test
    void reasoningBlocksAreNotPartOfTheAnswer() {
        assertThat(ModelAnswer.withoutReasoning("<think>\nlet me think\n</think>\n\n答案是 42。")).isEqualTo("答案是 42。");
        assertThat(ModelAnswer.withoutReasoning("plain answer")).isEqualTo("plain answer");
        assertThat(ModelAnswer.withoutReasoning("<think>never finished")).isEmpty();
    }
}
