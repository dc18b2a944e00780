package io.github.oac.wechat;

/** Body of POST /cgi-bin/message/custom/send for a text: {"touser":…,"msgtype":"text","text":{"content":…}}. */
public record CustomerServiceText(String touser, String msgtype, Text text) {

    public record Text(String content) {
    }

    public static CustomerServiceText of(String openid, String content) {
        return new CustomerServiceText(openid, "text", new Text(content));
    }
}
