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

    /**
     * A message's reply slot (hybrid and passive delivery): how often WeChat delivered it, when first, what its
     * callbacks answer once decided (given), whether its own answer went out (offered), placeholder or push.
     */
    public String reply(String msgKey) {
        return prefix + "reply:" + msgKey;
    }

    /** Answers owed to a follower that no callback has carried yet, oldest first (hybrid and passive delivery). */
    public String outbox(String openid) {
        return prefix + "outbox:" + openid;
    }

    /** The delivery mode the account turned out to need (auto: "passive" after WeChat answered 48001). */
    public String deliveryMode() {
        return prefix + "delivery";
    }

    /** Pub/sub channel: a message's reply is decided (its key), or the delivery mode changed ("mode"). */
    public String repliesChannel() {
        return prefix + "replies";
    }

    public String token(String appId) {
        return prefix + "token:" + appId;
    }

    /** The prefix itself, for scripts that build keys of several followers. */
    public String prefix() {
        return prefix;
    }
}
