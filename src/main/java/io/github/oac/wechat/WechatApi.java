package io.github.oac.wechat;

import org.apache.camel.Exchange;
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

    /** The token the call used was refused (40001/40014/42001): fetch a fresh one and try once more. */
    public boolean tokenRejected(Exchange exchange) {
        return WechatApiException.TOKEN_REJECTED.contains(errcode(exchange));
    }

    /** Throws {@link WechatApiException} unless the call succeeded (HTTP 2xx, errcode absent or 0). */
    public void check(Exchange exchange) {
        int status = status(exchange);
        int errcode = errcode(exchange);
        if (status < 200 || status > 299 || errcode != 0) {
            throw new WechatApiException(errcode, read(exchange).path("errmsg").asText(null), status);
        }
    }

    int errcode(Exchange exchange) {
        JsonNode answer = read(exchange);
        if (answer.isMissingNode()) {
            return status(exchange) / 100 == 2 ? UNREADABLE : 0;
        }
        return answer.path("errcode").asInt(0);
    }

    private JsonNode read(Exchange exchange) {
        String body = exchange.getMessage().getBody(String.class);
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

    private static int status(Exchange exchange) {
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        return status == null ? 200 : status;
    }
}
