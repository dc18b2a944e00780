package io.github.oac.chat;

import java.util.ArrayList;
import java.util.List;

import org.springframework.stereotype.Component;

import io.github.oac.chat.ChatRequest.ChatMessage;
import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.store.Turn;
import io.github.oac.wechat.Commands;
import io.github.oac.wechat.InboundMessage;

/**
 * Builds the chat-completion request for a follower's question: the system prompt, the remembered exchanges, then
 * the question itself (trigger prefix removed, cut to chat.openai.max-question-chars), with a photo as content parts
 * when the turn is about one. Called as {@code chatRequests}.
 */
@Component("chatRequests")
public class ChatRequests {

    /** What the conversation memory keeps of a photo: its answer is remembered, its bytes never. */
    public static final String PHOTO_IN_MEMORY = "[图片]";

    private final ChatProperties.Openai openai;
    private final ChatProperties.Vision vision;
    private final Conversation conversation;

    private final Commands commands;
    private final Accounts accounts;
    private final ModelProviders providers;

    public ChatRequests(ChatProperties properties, Conversation conversation, Commands commands, Accounts accounts,
                        ModelProviders providers) {
        this.accounts = accounts;
        this.providers = providers;
        this.openai = properties.openai();
        this.vision = properties.vision();
        this.conversation = conversation;
        this.commands = commands;
    }

    /** The request for this turn's question, with the conversation its claim read, in the follower's account. */
    public ChatRequest forQuestion(Turn turn) {
        InboundMessage message = turn.message();
        Accounts.Settings account = accounts.of(turn.follower().account());
        List<ChatMessage> messages = new ArrayList<>();
        if (account.systemPrompt() != null && !account.systemPrompt().isBlank()) {
            messages.add(new ChatMessage("system", account.systemPrompt()));
        }
        messages.addAll(conversation.history(turn.memory()));
        messages.add(new ChatMessage("user", question(message)));
        return new ChatRequest(account.model(), messages, openai.temperature(), openai.maxTokens(),
                providers.of(account.name()));
    }

    /**
     * The request for a question about a photo: the text and the photo (a data URL) as content parts of the last
     * message, for chat.vision.model.
     */
    public ChatRequest forPhoto(Turn turn, String text, String photoUrl) {
        Accounts.Settings account = accounts.of(turn.follower().account());
        String systemPrompt = account.systemPrompt();
        List<ChatMessage> messages = new ArrayList<>();
        if (systemPrompt != null && !systemPrompt.isBlank()) {
            messages.add(new ChatMessage("system", systemPrompt));
        }
        messages.addAll(conversation.history(turn.memory()));
        messages.add(new ChatMessage("user",
                List.of(new ChatRequest.TextPart(text), new ChatRequest.ImagePart(photoUrl))));
        return new ChatRequest(visionModel(), messages, openai.temperature(), openai.maxTokens(),
                providers.of(account.name()));
    }

    /** The model the turn asks: the vision model when a photo goes with it, else its account's. */
    public String modelOf(Turn turn) {
        return turn.message().isPhoto() || turn.photo() != null ? visionModel()
                : accounts.of(turn.follower().account()).model();
    }

    /** The model a provider answered the turn with: a fallback's own, else the one the turn asked for. */
    public String modelOf(Turn turn, String provider) {
        return providers.modelOf(provider, modelOf(turn));
    }

    /** The provider the turn's account asks (chat/ModelProviders). */
    public String providerOf(Turn turn) {
        return providers.of(turn.follower().account());
    }

    /** The model asked about photos: chat.vision.model, else the main one. */
    public String visionModel() {
        return vision.model() == null || vision.model().isBlank() ? openai.model() : vision.model().strip();
    }

    /** The message goes to the answering side: a text or recognised voice question (or a command), or a photo. */
    public boolean asksModel(InboundMessage message) {
        return message.question() != null || vision.enabled() && message.isPhoto();
    }

    /**
     * With a trigger prefix configured, only questions that start with it go to the model (commands always work); a
     * photo, which cannot carry the prefix, does not.
     */
    public boolean triggered(InboundMessage message) {
        String prefix = openai.triggerPrefix();
        if (prefix == null || prefix.isEmpty()) {
            return true;
        }
        return message.question() != null
                && (message.question().strip().startsWith(prefix) || commands.isCommand(message));
    }

    /**
     * What the model is asked: the follower's text without the trigger prefix, cut to the configured length; for a
     * photo, what the conversation memory keeps of it.
     */
    public String question(InboundMessage message) {
        if (message.question() == null) {
            return PHOTO_IN_MEMORY;
        }
        String question = withoutPrefix(message.question());
        int max = openai.maxQuestionChars();
        if (question.codePointCount(0, question.length()) <= max) {
            return question;
        }
        return question.substring(0, question.offsetByCodePoints(0, max));
    }

    /** The question was longer than the model is given: the follower is told with the answer. */
    public boolean truncated(InboundMessage message) {
        if (message.question() == null) {
            return false;
        }
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
