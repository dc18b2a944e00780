package io.github.oac.chat;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Takes the answer text out of a chat-completion response. Called as {@code chatAnswers}. */
@Component("chatAnswers")
public class ChatAnswers {

    private final ObjectMapper json;

    public ChatAnswers(ObjectMapper json) {
        this.json = json;
    }

    public String text(String completion) {
        JsonNode root;
        try {
            root = json.readTree(completion);
        } catch (Exception e) {
            throw new ModelAnswerException("model response is not JSON");
        }
        String text = root == null ? "" : root.path("choices").path(0).path("message").path("content").asText("");
        text = withoutReasoning(text);
        if (text.isBlank()) {
            throw new ModelAnswerException("model response has no choices[0].message.content");
        }
        return text;
    }

    /** Reasoning models (DeepSeek R1, QwQ…) may lead with a <think>…</think> block: the follower sees only the answer. */
    static String withoutReasoning(String text) {
        String answer = text.strip();
        if (answer.startsWith("<think>")) {
            int end = answer.indexOf("</think>");
            answer = end < 0 ? "" : answer.substring(end + "</think>".length()).strip();
        }
        return answer;
    }
}
