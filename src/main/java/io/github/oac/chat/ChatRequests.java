package io.github.oac.chat;

import java.util.ArrayList;
import java.util.List;

import org.springframework.stereotype.Component;

import io.github.oac.chat.ChatRequest.ChatMessage;
import io.github.oac.config.ChatProperties;
import io.github.oac.store.Turn;
import io.github.oac.wechat.Commands;
import io.github.oac.wechat.InboundMessage;

/**
 * Builds the chat-completion request for a follower's question: the system prompt, the remembered exchanges, then
 * the question itself (trigger prefix removed, cut to chat.openai.max-question-chars). Called as {@code chatRequests}.
 */
@Component("chatRequests")
public class ChatRequests {

    private final ChatProperties.Openai openai;
    private final Conversation conversation;

    private final Commands commands;

    public ChatRequests(ChatProperties properties, Conversation conversation, Commands commands) {
        this.openai = properties.openai();
        this.conversation = conversation;
        this.commands = commands;
    }

    /** The request for this turn's question, with the conversation its claim read. */
    public ChatRequest forQuestion(Turn turn) {
        InboundMessage message = turn.message();
        List<ChatMessage> messages = new ArrayList<>();
        if (openai.systemPrompt() != null && !openai.systemPrompt().isBlank()) {
            messages.add(new ChatMessage("system", openai.systemPrompt()));
        }
        messages.addAll(conversation.history(turn.memory()));
        messages.add(new ChatMessage("user", question(message)));
        return new ChatRequest(openai.model(), messages, openai.temperature(), openai.maxTokens());
    }

    /** With a trigger prefix configured, only questions that start with it go to the model (commands always work). */
    public boolean triggered(InboundMessage message) {
        String prefix = openai.triggerPrefix();
        return prefix == null || prefix.isEmpty() || message.question().strip().startsWith(prefix)
                || commands.isCommand(message);
    }

    /** What the model is asked: the follower's text without the trigger prefix, cut to the configured length. */
    public String question(InboundMessage message) {
        String question = withoutPrefix(message.question());
        int max = openai.maxQuestionChars();
        if (question.codePointCount(0, question.length()) <= max) {
            return question;
        }
        return question.substring(0, question.offsetByCodePoints(0, max));
    }

    /** The question was longer than the model is given: the follower is told with the answer. */
    public boolean truncated(InboundMessage message) {
        String question = withoutPrefix(message.question());
        return question.codePointCount(0, question.length()) > openai.maxQuestionChars();
    }

    private String withoutPrefix(String question) {
        String prefix = openai.triggerPrefix();
        String stripped = question.strip();
        return prefix != null && !prefix.isEmpty() && stripped.startsWith(prefix)
                ? stripped.substring(prefix.length()).strip() : question;
    }
}
