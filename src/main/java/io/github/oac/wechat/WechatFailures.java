package io.github.oac.wechat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;

import org.apache.camel.Exchange;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.springframework.stereotype.Component;

/**
 * Judges a failed WeChat call. Only WeChat's own answer (an errcode, an HTTP status) can refuse for good. A failure
 * before the request left (no connection, no free pooled connection, no access token, Redis) is retried: nothing
 * reached the follower. An I/O failure after it left (a read timeout) is never repeated: the message may have
 * arrived, and a second copy would reach the follower twice. Called from the routes as {@code wechatFailures}.
 */
@Component("wechatFailures")
public class WechatFailures {

    /** For the wechat-errors redelivery: errcode -1/45011, 5xx/429, or nothing left this process. */
    public boolean worthRetrying(Exchange exchange) {
        Throwable failure = failure(exchange);
        if (failure instanceof WechatApiException refusal) {
            return refusal.isRetryable();
        }
        return !requestLeft(failure);
    }

    /** The request went out and no answer came back: it may have arrived. */
    public boolean requestLeft(Exchange exchange) {
        return requestLeft(failure(exchange));
    }

    static boolean requestLeft(Throwable failure) {
        return failure instanceof IOException && !(failure instanceof ConnectException
                || failure instanceof UnknownHostException || failure instanceof NoRouteToHostException
                || failure instanceof ConnectTimeoutException || failure instanceof ConnectionRequestTimeoutException
                || failure instanceof AccessTokenUnavailableException);
    }

    private static Throwable failure(Exchange exchange) {
        Throwable failure = exchange.getException();
        failure = failure != null ? failure : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        // thrown inside a method expression, it arrives wrapped: judge what was thrown
        while (failure instanceof org.apache.camel.RuntimeCamelException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        return failure;
    }
}
