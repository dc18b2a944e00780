package io.github.oac.wechat;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/** Fixed answers to custom-menu CLICK events, configured as chat.replies.click.<EventKey>. Called as {@code clickReplies}. */
@Component("clickReplies")
public class ClickReplies {

    private final java.util.Map<String, String> replies;

    public ClickReplies(ChatProperties properties) {
        this.replies = properties.replies().click();
    }

    /** The configured reply, or null for a key without one (acknowledged with success). */
    public String replyFor(String eventKey) {
        return eventKey == null ? null : replies.get(eventKey.trim());
    }
}
