package io.github.oac.chat;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Takes the answer out of a chat-completion response: the text, and the tokens the provider counted (its {@code usage}),
 * which are also added to the meter oac.model.tokens (tag type: prompt, completion). Called as {@code chatAnswers}.
 */
@Component("chatAnswers")
public class ChatAnswers {

    private final ObjectMapper json;
    private final Counter promptTokens;
    private final Counter completionTokens;

    public ChatAnswers(ObjectMapper json, MeterRegistry registry) {
        this.json = json;
        this.promptTokens = Counter.builder("oac.model.tokens").tag("type", "prompt")
                .description("Tokens the model provider counted, by type").register(registry);
        this.completionTokens = Counter.builder("oac.model.tokens").tag("type", "completion")
                .description("Tokens the model provider counted, by type").register(registry);
    }

    public ModelAnswer answer(String completion) {
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
        JsonNode usage = root.path("usage");
        long prompt = Math.max(0, usage.path("prompt_tokens").asLong(0));
        long completionCount = Math.max(0, usage.path("completion_tokens").asLong(0));
        promptTokens.increment(prompt);
        completionTokens.increment(completionCount);
        return new ModelAnswer(text, prompt, completionCount);
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
