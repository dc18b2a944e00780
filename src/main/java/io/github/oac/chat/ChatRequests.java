package io.github.oac.chat;

import java.util.List;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.wechat.InboundMessage;

/** Builds the chat-completion request for a follower's question. Called as {@code chatRequests}. */
@Component("chatRequests")
public class ChatRequests {

    private final ChatProperties.Openai openai;

    public ChatRequests(ChatProperties properties) {
        this.openai = properties.openai();
    }

    public ChatRequest forQuestion(InboundMessage message) {
        return new ChatRequest(openai.model(),
                List.of(new ChatRequest.ChatMessage("user", message.content())),
                openai.temperature(), openai.maxTokens());
    }
}
