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
                List.of(new ChatRequest.ChatMessage("user", question(message))),
                openai.temperature(), openai.maxTokens());
    }

    /** The follower's question, cut to chat.openai.max-question-chars (whole code points). */
    public String question(InboundMessage message) {
        String question = message.question();
        int max = openai.maxQuestionChars();
        if (question.codePointCount(0, question.length()) <= max) {
            return question;
        }
        return question.substring(0, question.offsetByCodePoints(0, max));
    }

    /** The question was longer than the model is given: the follower is told with the answer. */
    public boolean truncated(InboundMessage message) {
        String question = message.question();
        return question.codePointCount(0, question.length()) > openai.maxQuestionChars();
    }
}
