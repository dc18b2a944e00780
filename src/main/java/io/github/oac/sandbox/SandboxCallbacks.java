package io.github.oac.sandbox;

import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.camel.Exchange;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;

import io.github.oac.config.Accounts;
import io.github.oac.wechat.WechatCrypto;
import io.github.oac.wechat.WechatSignature;

/**
 * Turns what the sandbox page sends into the callback WeChat would send (XML, encrypted when an EncodingAESKey is
 * set, signed with the account's token, which never leaves the server), and WeChat's view of the service's answer
 * back into a bubble. The callback itself goes to the service's own /wechat (or /wechat/&lt;account&gt;) over
 * loopback, through the same routes real WeChat uses. Called as {@code sandboxCallbacks}.
 */
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
@Component("sandboxCallbacks")
public class SandboxCallbacks {

    static final String OPENID = "sandboxOpenid";
    static final String NONCE = "sandboxNonce";
    static final String MSG_ID = "sandboxMsgId";
    static final String ACCOUNT = "sandboxAccount";

    private static final Pattern EVENT_KEY_SHAPE = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
    /** More than chat.openai.max-question-chars by default, so a cut question can be tried. */
    private static final int MAX_TEXT = 10_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Accounts accounts;
    /** Each account's key, for accounts in safe mode. */
    private final Map<String, WechatCrypto> cryptos = new java.util.HashMap<>();
    private final SandboxChats chats;
    private final WechatStandIn standIn;
    private final java.util.concurrent.ConcurrentMap<String, Long> lastCreateTime =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final XmlMapper xml = XmlMapper.builder().build();

    public SandboxCallbacks(Accounts accounts, SandboxChats chats, WechatStandIn standIn) {
        this.accounts = accounts;
        for (String name : accounts.names()) {
            Accounts.Settings account = accounts.of(name);
            String key = account.encodingAesKey();
            if (key != null && !key.isBlank()) {
                cryptos.put(name, new WechatCrypto(key.strip(), account.appId()));
            }
        }
        this.chats = chats;
        this.standIn = standIn;
    }

    /**
     * The signed callback: body, query string (CamelHttpQuery), the account's path below /wechat (CamelHttpPath) and
     * what outcome() needs, in variables.
     */
    public void build(SandboxMessage message, Exchange exchange) {
        Callback callback = callback(message);
        Accounts.Settings account = message.account() == null || message.account().isBlank()
                ? accounts.of(Accounts.DEFAULT) : accounts.get(message.account());
        if (account == null) {
            throw new BadMessage("no such account");
        }
        String token = account.token();
        WechatCrypto crypto = cryptos.get(account.name());
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        String nonce = "sbx" + Long.toUnsignedString(RANDOM.nextLong(), 36);
        String query = "signature=" + WechatSignature.sign(token, timestamp, nonce) + "&timestamp=" + timestamp
                + "&nonce=" + nonce + "&openid=" + message.openid();
        String body = callback.xml();
        if (crypto != null) {
            String encrypted = crypto.encrypt(body);
            body = "<xml><ToUserName>" + cdata("gh_sandbox") + "</ToUserName><Encrypt>" + cdata(encrypted)
                    + "</Encrypt></xml>";
            query += "&encrypt_type=aes&msg_signature=" + WechatSignature.sign(token, timestamp, nonce, encrypted);
        }
        if ("subscribe".equals(message.type()) || "unsubscribe".equals(message.type())) {
            standIn.following(message.openid(), "subscribe".equals(message.type()));
        }
        chats.followerSent(message.openid(), callback.path(), callback.shown(),
                "signed " + (crypto == null ? "plaintext" : "encrypted") + " callback POST " + account.path() + ": "
                        + callback.summary());
        exchange.setVariable(OPENID, message.openid());
        exchange.setVariable(NONCE, nonce);
        exchange.setVariable(MSG_ID, callback.msgId());
        exchange.setVariable(ACCOUNT, account.name());
        exchange.getMessage().setHeader(Exchange.HTTP_QUERY, query);
        exchange.getMessage().setHeader(Exchange.HTTP_PATH, account.path().substring("/wechat".length()));
        exchange.getMessage().setBody(body);
    }

    /** What WeChat made of the service's answer: status, admission, and a passive reply shown as a bubble. */
    public Map<String, Object> outcome(Exchange exchange) {
        String openid = exchange.getVariable(OPENID, String.class);
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        String answer = exchange.getMessage().getBody(String.class);
        String admitted = chats.admission(exchange.getVariable(NONCE, String.class));
        String admission = admitted == null ? null : admitted.split(";", 2)[0];
        String reply = passiveText(answer, cryptos.get(exchange.getVariable(ACCOUNT, String.class)));
        if (reply != null) {
            chats.accountSent(openid, "passive", reply);
        }
        String said = reply != null ? "a passive reply" : answer == null ? "nothing" : "\"" + shorten(answer) + "\"";
        chats.traced(openid, "answered", "HTTP " + status + " in reply to the callback, with " + said
                + (admitted == null ? "" : "; admission: " + admitted));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("status", status);
        result.put("admission", admission);
        result.put("msgId", exchange.getVariable(MSG_ID, String.class));
        result.put("passiveReply", reply);
        return result;
    }

    private Callback callback(SandboxMessage message) {
        if (message == null || !io.github.oac.wechat.Openids.isWellFormed(message.openid())) {
            throw new BadMessage("openid must be 1 to 64 letters, digits, - or _");
        }
        String head = "<xml><ToUserName>" + cdata("gh_sandbox") + "</ToUserName><FromUserName>"
                + cdata(message.openid()) + "</FromUserName><CreateTime>" + createTime(message.openid())
                + "</CreateTime>";
        String type = message.type() == null ? "" : message.type();
        switch (type) {
            case "text" -> {
                String content = text(message.content(), "content");
                String msgId = msgId();
                return new Callback(head + "<MsgType>" + cdata("text") + "</MsgType><Content>" + cdata(content)
                        + "</Content><MsgId>" + msgId + "</MsgId></xml>", "text", content, msgId, "text, MsgId " + msgId);
            }
            case "voice" -> {
                String heard = message.recognition() == null ? "" : message.recognition();
                if (heard.length() > MAX_TEXT) {
                    throw new BadMessage("recognition is longer than " + MAX_TEXT + " characters");
                }
                String msgId = msgId();
                return new Callback(head + "<MsgType>" + cdata("voice") + "</MsgType><MediaId>"
                        + cdata("sandbox_media_" + msgId) + "</MediaId><Format>" + cdata("amr")
                        + "</Format><Recognition>" + cdata(heard) + "</Recognition><MsgId>" + msgId
                        + "</MsgId></xml>", "voice", heard.isEmpty() ? "🎤 (not recognised)" : "🎤 " + heard, msgId,
                        "voice, MsgId " + msgId + (heard.isEmpty() ? ", no recognition" : ", recognised"));
            }
            case "subscribe", "unsubscribe" -> {
                return new Callback(head + "<MsgType>" + cdata("event") + "</MsgType><Event>" + cdata(type)
                        + "</Event></xml>", "event", type.equals("subscribe") ? "➕ followed the account"
                        : "➖ unfollowed the account", null, "event " + type);
            }
            case "click" -> {
                String key = message.eventKey();
                if (key == null || !EVENT_KEY_SHAPE.matcher(key).matches()) {
                    throw new BadMessage("eventKey must be 1 to 64 letters, digits or _.:-");
                }
                return new Callback(head + "<MsgType>" + cdata("event") + "</MsgType><Event>" + cdata("CLICK")
                        + "</Event><EventKey>" + cdata(key) + "</EventKey></xml>", "event", "☰ menu: " + key, null,
                        "event CLICK, EventKey " + key);
            }
            default -> throw new BadMessage("type must be text, voice, subscribe, unsubscribe or click");
        }
    }

    /**
     * WeChat tells events apart by FromUserName and CreateTime (seconds): two clicks within a second would be one
     * event to the service, a duplicate. A person cannot do that on a phone, but can on this page.
     */
    private long createTime(String openid) {
        if (lastCreateTime.size() > 10_000) {
            lastCreateTime.clear();
        }
        long now = System.currentTimeMillis() / 1000;
        return lastCreateTime.merge(openid, now, (last, next) -> Math.max(last + 1, next));
    }

    private String passiveText(String answer, WechatCrypto crypto) {
        if (answer == null || !answer.startsWith("<xml>")) {
            return null;
        }
        try {
            JsonNode reply = xml.readTree(answer);
            if (reply.has("Encrypt") && crypto != null) {
                reply = xml.readTree(crypto.decrypt(reply.path("Encrypt").asText()));
            }
            return reply.path("Content").asText(null);
        } catch (Exception e) {
            return "(a reply the sandbox could not read: " + e.getClass().getSimpleName() + ")";
        }
    }

    private static String text(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new BadMessage(name + " is empty");
        }
        if (value.length() > MAX_TEXT) {
            throw new BadMessage(name + " is longer than " + MAX_TEXT + " characters");
        }
        return value;
    }

    private static String msgId() {
        // 64-bit like WeChat's, above 2^53 as real ones are
        return Long.toString(7_000_000_000_000_000_000L + (RANDOM.nextLong() >>> 4) % 1_000_000_000_000_000L);
    }

    private static String shorten(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }

    private static String cdata(String value) {
        return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>";
    }

    /** What the page sent cannot be a callback: 400, with this fixed sentence. */
    public static class BadMessage extends IllegalArgumentException {
        public BadMessage(String problem) {
            super(problem, null);
        }
    }

    private record Callback(String xml, String path, String shown, String msgId, String summary) {
    }
}
