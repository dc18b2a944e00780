package io.github.oac.store;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/** The names of the Redis keys the answering side uses, all under chat.redis.key-prefix (README, "Redis keys"). */
@Component
public class Keys {

    private final String prefix;

    public Keys(ChatProperties properties) {
        this.prefix = properties.redis().keyPrefix();
    }

    /** A follower's unanswered messages, oldest first. */
    public String inbox(String openid) {
        return prefix + "inbox:" + openid;
    }

    /** The followers that have an inbox. */
    public String inboxes() {
        return prefix + "inboxes";
    }

    /** The lease of whoever answers that follower; holds the turn's token. */
    public String owner(String openid) {
        return prefix + "owner:" + openid;
    }

    /** Prefix of oac:progress:<msgKey>, for scripts that find the key from the message. */
    public String progressPrefix() {
        return prefix + "progress:";
    }

    public String progress(String msgKey) {
        return progressPrefix() + msgKey;
    }

    public String memory(String openid) {
        return prefix + "memory:" + openid;
    }

    public String pending(String openid) {
        return prefix + "pending:" + openid;
    }

    public String token(String appId) {
        return prefix + "token:" + appId;
    }

    /** The prefix itself, for scripts that build keys of several followers. */
    public String prefix() {
        return prefix;
    }
}
