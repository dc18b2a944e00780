package io.github.oac.wechat;

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
        @JsonProperty("Recognition") String recognition) {

    /** Identity everywhere (dedup, logs): MsgId, or FromUserName+CreateTime for events, which carry none. */
    public String key() {
        return hasText(msgId) ? msgId.trim() : fromUserName + ":" + createTime;
    }

    /** Carries what every message and event has; anything less is refused with 400. */
    public boolean isComplete() {
        return hasText(fromUserName) && hasText(msgType) && hasText(createTime);
    }

    /** A text with something in it: the only kind that goes to the model (other types come with the protocol issue). */
    public boolean isQuestion() {
        return "text".equals(msgType) && hasText(content);
    }

    private static boolean hasText(String s) {
        return s != null && !s.isBlank();
    }
}
