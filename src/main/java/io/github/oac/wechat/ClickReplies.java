package io.github.oac.wechat;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/** Fixed answers to custom-menu CLICK events, configured as chat.replies.click.<EventKey>. Called as {@code clickReplies}. */
@Component("clickReplies")
public class ClickReplies {

    private final Map<String, String> replies = new HashMap<>();

    public ClickReplies(ChatProperties properties) {
        // keys compared ignoring case: an env var (CHAT_REPLIES_CLICK_HELP) binds as lower case
        properties.replies().click().forEach((key, text) -> replies.put(key.toLowerCase(Locale.ROOT), text));
    }

    /** The configured reply, or null for a key without one (acknowledged with success). */
    public String replyFor(String eventKey) {
        return eventKey == null ? null : replies.get(eventKey.trim().toLowerCase(Locale.ROOT));
    }
}
