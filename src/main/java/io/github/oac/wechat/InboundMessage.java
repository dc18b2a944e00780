package io.github.oac.wechat;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A message or event WeChat posted to the callback. Immutable, so the wireTap's shallow copy is safe to share.
 * MsgId is kept as a string: it is a 64-bit value and never used as a number.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record InboundMessage(
        @JsonProperty("ToUserName") String toUserName,
        @JsonProperty("FromUserName") String fromUserName,
        @JsonProperty("CreateTime") String createTime,
        @JsonProperty("MsgType") String msgType,
        @JsonProperty("MsgId") String msgId,
        @JsonProperty("Content") String content,
        @JsonProperty("Event") String event,
        @JsonProperty("EventKey") String eventKey,
        @JsonProperty("Recognition") String recognition,
        @JsonProperty("PicUrl") String picUrl,
        @JsonProperty("MediaId") String mediaId,
        @JsonProperty("Encrypt") String encrypt) {

    /**
     * Identity everywhere (dedup, logs): MsgId, or FromUserName+CreateTime+Event for events, which carry none (an
     * unfollow and a follow in the same second are two events).
     */
    @JsonProperty(value = "Key", access = JsonProperty.Access.READ_ONLY) // in the inbox entry, for its Lua readers
    public String key() {
        return hasText(msgId) ? msgId.trim()
                : fromUserName + ":" + createTime + (hasText(event) ? ":" + event.trim() : "");
    }

    /**
     * Carries what every message and event has, and an OpenID of WeChat's shape (letters, digits, '-' and '_'; it
     * names the follower's Redis keys and their hash tag); anything less is refused with 400.
     */
    @JsonIgnore
    public boolean isComplete() {
        return hasText(fromUserName) && Openids.isWellFormed(fromUserName) && hasText(msgType)
                && hasText(createTime);
    }

    /**
     * What the follower asks the model: a text's Content, or the Recognition WeChat made of a voice message. Null
     * when there is nothing to ask (an empty text, an unrecognised voice, any other type or an event).
     */
    public String question() {
        if ("text".equals(msgType) && hasText(content)) {
            return content;
        }
        if ("voice".equals(msgType) && hasText(recognition)) {
            return recognition;
        }
        return null;
    }

    /** A photo: an image message with somewhere to get it from (its PicUrl, or its MediaId at WeChat's media API). */
    @JsonIgnore
    public boolean isPhoto() {
        return "image".equals(msgType) && (hasText(picUrl) || hasText(mediaId));
    }

    /**
     * May carry an answer owed to the follower as its reply: any message, a follow, a scan or a menu click; not an
     * unfollow, nor events WeChat shows no reply to (LOCATION reports, VIEW clicks that open a page).
     */
    @JsonIgnore
    public boolean mayCarryReply() {
        return !"event".equals(msgType) || isEvent("subscribe") || isEvent("SCAN") || isEvent("CLICK");
    }

    /** Event names differ in case (subscribe, SCAN, CLICK): compared ignoring it. */
    public boolean isEvent(String name) {
        return "event".equals(msgType) && name.equalsIgnoreCase(event == null ? "" : event.trim());
    }

    private static boolean hasText(String s) {
        return s != null && !s.isBlank();
    }
}
