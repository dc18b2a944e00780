package io.github.oac.chat;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Body of POST {base}/chat/completions, as every OpenAI-compatible server reads it. */
public record ChatRequest(String model, List<ChatMessage> messages, double temperature,
                          @JsonProperty("max_tokens") int maxTokens) {

    public record ChatMessage(String role, String content) {
    }
}
