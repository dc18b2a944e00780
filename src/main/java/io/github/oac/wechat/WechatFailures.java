package io.github.oac.wechat;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;

import org.apache.camel.Exchange;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.springframework.stereotype.Component;

/**
 * Which failures of a WeChat call a later attempt can fix: errcode -1 and 45011, 5xx/429 from WeChat's edge, and
 * failing to connect. Called from routes/error-handling.camel.yaml as {@code wechatFailures}.
 */
@Component("wechatFailures")
public class WechatFailures {

    public boolean worthRetrying(Exchange exchange) {
        Throwable failure = failure(exchange);
        if (failure instanceof WechatApiException refusal) {
            return refusal.isRetryable();
        }
        return failure instanceof ConnectException || failure instanceof UnknownHostException
                || failure instanceof NoRouteToHostException || failure instanceof ConnectTimeoutException;
    }

    private static Throwable failure(Exchange exchange) {
        Throwable failure = exchange.getException();
        return failure != null ? failure : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
    }
}
