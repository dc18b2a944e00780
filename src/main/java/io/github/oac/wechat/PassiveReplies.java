package io.github.oac.wechat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * The callback's answer as WeChat reads it: {@code success}, or a passive text reply. A reply to an encrypted callback
 * goes back in the encrypted envelope, under the key the callback used. Called as {@code passiveReplies}.
 */
@Component("passiveReplies")
public class PassiveReplies {

    private final WechatSignature signature;
    private final int maxBytes;
    private final Clock clock;

    @Autowired
    public PassiveReplies(WechatSignature signature, ChatProperties properties) {
        this(signature, properties.replies().passiveMaxBytes(), Clock.systemUTC());
    }

    PassiveReplies(WechatSignature signature, int maxBytes, Clock clock) {
        this.signature = signature;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    /**
     * What the callback answers: "success" (plain, even for encrypted callbacks, as WeChat accepts) when there is no
     * text to reply, else a passive text reply, sealed with the key that opened the callback when it was encrypted.
     */
    public String reply(Callback callback, String text) {
        if (text == null || text.isBlank()) {
            return "success";
        }
        InboundMessage message = callback.message();
        String xml = textXml(message.fromUserName(), message.toUserName(), clock.instant().getEpochSecond(), text);
        WechatCrypto crypto = callback.replyCrypto();
        if (crypto != null) {
            String timestamp = callback.timestamp();
            String nonce = callback.nonce();
            String encrypted = crypto.encrypt(xml);
            xml = "<xml><Encrypt>" + cdata(encrypted) + "</Encrypt>"
                    + "<MsgSignature>" + cdata(signature.forAccount(callback.account()).signWithToken(timestamp, nonce, encrypted)) + "</MsgSignature>"
                    + "<TimeStamp>" + digits(timestamp) + "</TimeStamp>"
                    + "<Nonce>" + cdata(nonce) + "</Nonce></xml>";
        }
        return xml;
    }

    /** A passive text reply; Content is cut to the byte limit on a character boundary. */
    String textXml(String toUser, String fromUser, long createTime, String content) {
        return "<xml><ToUserName>" + cdata(toUser) + "</ToUserName>"
                + "<FromUserName>" + cdata(fromUser) + "</FromUserName>"
                + "<CreateTime>" + createTime + "</CreateTime>"
                + "<MsgType><![CDATA[text]]></MsgType>"
                + "<Content>" + cdata(fitBytes(xmlChars(content), maxBytes)) + "</Content></xml>";
    }

    /** ]]> cannot occur inside CDATA: close the section between ]] and > and open a new one. */
    static String cdata(String value) {
        return "<![CDATA[" + (value == null ? "" : value.replace("]]>", "]]]]><![CDATA[>")) + "]]>";
    }

    /** The longest prefix of whole code points that fits in maxBytes of UTF-8. */
    static String fitBytes(String text, int maxBytes) {
        if (text.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
            return text;
        }
        int bytes = 0;
        int end = 0;
        while (end < text.length()) {
            int codePoint = text.codePointAt(end);
            int size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
            if (bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            end += Character.charCount(codePoint);
        }
        return text.substring(0, end);
    }

    /** Drops characters XML 1.0 cannot carry (control characters, lone surrogates). */
    static String xmlChars(String text) {
        StringBuilder clean = new StringBuilder(text.length());
        text.codePoints().filter(c -> c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
                        || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000)
                .forEach(clean::appendCodePoint);
        return clean.toString();
    }

    private static String digits(String value) {
        return value == null ? "" : value.replaceAll("[^0-9]", "");
    }
}
