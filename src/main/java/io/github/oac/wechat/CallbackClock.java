package io.github.oac.wechat;

import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;

/**
 * When a callback reached the service: CallbackGate notes it before the request waits for a thread, so the 5 s WeChat
 * gives a callback are counted from there (on Java 17's bounded executor a burst can queue requests). Called as
 * {@code callbackClock}.
 */
@Component("callbackClock")
public class CallbackClock {

    public long arrivedAt(Exchange exchange) {
        if (exchange.getMessage() instanceof PlatformHttpMessage http && http.getRequest() != null
                && http.getRequest().getAttribute(CallbackGate.ARRIVED_AT) instanceof Long arrived) {
            return arrived;
        }
        return exchange.getClock().getCreated();
    }
}
