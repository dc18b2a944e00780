package io.github.oac.sandbox;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Header;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;


/**
 * The part of WeChat's API the service calls, in-process, for sandbox mode: stable_token, customer-service send and
 * typing, with WeChat's own answers (errcode 40001 for a wrong token, 43004 for a follower who unfollowed). Every
 * send is shown on the sandbox page as a bubble and in the trace of the follower's last message. Called as
 * {@code wechatStandIn}; reachable under /sandbox/api only in sandbox mode.
 */
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
@Component("wechatStandIn")
public class WechatStandIn {

    private static final Map<String, Object> OK = Map.of("errcode", 0, "errmsg", "ok");

    private final SandboxChats chats;
    private final ObjectMapper json;
    /** Each account's AppSecret and access token, by AppID. */
    private final Map<String, byte[]> appSecrets = new java.util.HashMap<>();
    private final Map<String, String> accessTokens = new java.util.HashMap<>();
    private final Set<String> unfollowed = ConcurrentHashMap.newKeySet();

    public WechatStandIn(SandboxChats chats, ObjectMapper json, io.github.oac.config.Accounts accounts) {
        this.chats = chats;
        this.json = json;
        SecureRandom random = new SecureRandom();
        for (String name : accounts.names()) {
            io.github.oac.config.Accounts.Settings account = accounts.of(name);
            byte[] bytes = new byte[24];
            random.nextBytes(bytes);
            appSecrets.put(account.appId(), bytes(account.appSecret()));
            // a new one at each start: a token cached in Redis from an earlier run is refused (40001) and fetched again
            accessTokens.put(account.appId(), "SANDBOX_" + HexFormat.of().formatHex(bytes));
        }
    }

    /** POST /cgi-bin/stable_token {"grant_type":"client_credential","appid":…,"secret":…}. */
    public Map<String, Object> stableToken(String body) {
        JsonNode request = read(body);
        if (request == null || !"client_credential".equals(request.path("grant_type").asText())) {
            return error(40002, "invalid grant_type");
        }
        String appId = request.path("appid").asText();
        byte[] appSecret = appSecrets.get(appId);
        if (appSecret == null) {
            return error(40013, "invalid appid");
        }
        if (!MessageDigest.isEqual(appSecret, bytes(request.path("secret").asText()))) {
            return error(40125, "invalid appsecret");
        }
        return Map.of("access_token", accessTokens.get(appId), "expires_in", 7200);
    }

    /** POST /cgi-bin/message/custom/send?access_token=… with a text message. */
    public Map<String, Object> send(@Header("access_token") String token, String body) {
        Map<String, Object> refused = refusal(token);
        JsonNode request = read(body);
        String openid = request == null ? "" : request.path("touser").asText();
        if (refused == null && openid.isEmpty()) {
            refused = error(40003, "invalid openid");
        }
        if (refused == null && !"text".equals(request.path("msgtype").asText())) {
            refused = error(40008, "invalid message type");
        }
        if (refused == null && unfollowed.contains(openid)) {
            refused = error(43004, "require subscribe");
        }
        String text = request == null ? "" : request.path("text").path("content").asText();
        if (!openid.isEmpty()) {
            int errcode = refused == null ? 0 : (int) refused.get("errcode");
            chats.traced(openid, "send", "customer-service message, " + text.getBytes(StandardCharsets.UTF_8).length
                    + " bytes → errcode " + errcode);
        }
        if (refused != null) {
            return refused;
        }
        chats.accountSent(openid, "push", text);
        return OK;
    }

    /** POST /cgi-bin/message/custom/typing {"touser":…,"command":"Typing"}. */
    public Map<String, Object> typing(@Header("access_token") String token, String body) {
        Map<String, Object> refused = refusal(token);
        JsonNode request = read(body);
        String openid = request == null ? "" : request.path("touser").asText();
        if (refused == null && openid.isEmpty()) {
            refused = error(40003, "invalid openid");
        }
        if (!openid.isEmpty()) {
            chats.traced(openid, "typing", request.path("command").asText() + " → errcode "
                    + (refused == null ? 0 : refused.get("errcode")));
        }
        return refused == null ? OK : refused;
    }

    /** Follows and unfollows from the page: WeChat refuses customer-service messages to a follower who left. */
    public void following(String openid, boolean follows) {
        if (follows) {
            unfollowed.remove(openid);
        } else {
            unfollowed.add(openid);
        }
    }

    private Map<String, Object> refusal(String token) {
        boolean issued = token != null && accessTokens.values().stream()
                .anyMatch(accessToken -> MessageDigest.isEqual(bytes(accessToken), bytes(token)));
        return issued ? null : error(40001, "invalid credential, access_token is invalid or not latest");
    }

    private JsonNode read(String body) {
        try {
            JsonNode node = body == null ? null : json.readTree(body);
            return node != null && node.isObject() ? node : null;
        } catch (Exception e) {
            return null; // WeChat answers bad JSON with an errcode too, below
        }
    }

    private static Map<String, Object> error(int errcode, String errmsg) {
        return Map.of("errcode", errcode, "errmsg", errmsg);
    }

    private static byte[] bytes(String value) {
        return (value == null ? "" : value).getBytes(StandardCharsets.UTF_8);
    }
}
