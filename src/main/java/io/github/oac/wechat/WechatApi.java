package io.github.oac.wechat;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads WeChat API answers, which report failure as {"errcode":N,"errmsg":...} inside an HTTP 200.
 * Called from routes/wechat-send.camel.yaml as {@code wechatApi}.
 */
@Component("wechatApi")
public class WechatApi {

    /** errcode reported for an answer that is not WeChat JSON at all (a proxy's HTML error page, say). */
    static final int UNREADABLE = -2;

    private final ObjectMapper json;

    public WechatApi(ObjectMapper json) {
        this.json = json;
    }

    /**
     * How a call went: "done" when WeChat took it (HTTP 2xx, errcode absent or 0); "again" when it refused the access
     * token (40001/40014/42001) and the call was not made again yet (previous is not "again"): the caller forgets the
     * token and calls once more with a fresh one. Anything else throws {@link WechatApiException}, for the caller's
     * redelivery to judge.
     */
    public String outcome(String body, Integer status, String previous) {
        int code = status == null ? 200 : status;
        JsonNode answer = read(body);
        int errcode = errcode(answer, code);
        if (WechatApiException.TOKEN_REJECTED.contains(errcode) && !"again".equals(previous)) {
            return "again";
        }
        if (code < 200 || code > 299 || errcode != 0) {
            throw new WechatApiException(errcode, answer.path("errmsg").asText(null), code);
        }
        return "done";
    }

    private static int errcode(JsonNode answer, int status) {
        if (answer.isMissingNode()) {
            return status / 100 == 2 ? UNREADABLE : 0;
        }
        return answer.path("errcode").asInt(0);
    }

    private JsonNode read(String body) {
        if (body == null || body.isBlank()) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        try {
            JsonNode node = json.readTree(body);
            return node.isObject() ? node : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        } catch (Exception notJson) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
    }
}
