package io.github.oac.ops;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.StreamCache;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSentEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Meters the calls that leave the process, from Camel's own "sent" events, so the routes need no metering steps:
 * every model call attempt as the timer oac.model.calls (tag outcome: ok or failed; p50 and p99 published), and
 * every customer-service send as the counter oac.wechat.sends (tags path=push and errcode, as WeChat answered, or
 * http-NNN / io when it did not answer with JSON).
 */
@Component
public class OutboundCalls extends EventNotifierSupport {

    static final String MODEL_CALLS = "oac.model.calls";
    static final String WECHAT_SENDS = "oac.wechat.sends";
    private static final String SEND_PATH = "/cgi-bin/message/custom/send";

    private final MeterRegistry registry;
    private final ObjectMapper json;

    public OutboundCalls(MeterRegistry registry, ObjectMapper json) {
        this.registry = registry;
        this.json = json;
        setIgnoreCamelContextEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreExchangeCreatedEvent(true);
        setIgnoreExchangeCompletedEvent(true);
        setIgnoreExchangeFailedEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
        // not ignored: Camel times a send, and reports it sent, only when someone listens to "sending" too
        setIgnoreStepEvents(true);
    }

    @Override
    public void notify(CamelEvent event) {
        if (!(event instanceof ExchangeSentEvent sent)) {
            return;
        }
        Exchange exchange = sent.getExchange();
        if (sent.getEndpoint().getEndpointUri().contains("/chat/completions")) {
            Timer.builder(MODEL_CALLS)
                    .description("Model call attempts (each retry is one), by outcome")
                    .tag("outcome", exchange.getException() == null ? "ok" : "failed")
                    .publishPercentiles(0.5, 0.99)
                    .register(registry)
                    .record(sent.getTimeTaken(), TimeUnit.MILLISECONDS);
        } else if (SEND_PATH.equals(exchange.getMessage().getHeader(Exchange.HTTP_PATH, String.class))) {
            registry.counter(WECHAT_SENDS, "path", "push", "errcode", errcode(exchange)).increment();
        }
    }

    /** WeChat's errcode from the answer, read without consuming it (the route reads it next). */
    private String errcode(Exchange exchange) {
        if (exchange.getException() != null) {
            return "io";
        }
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        if (status != null && status != 200) {
            return "http-" + status;
        }
        Object body = exchange.getMessage().getBody();
        try {
            String text;
            if (body instanceof String s) {
                text = s;
            } else if (body instanceof byte[] bytes) {
                text = new String(bytes, StandardCharsets.UTF_8);
            } else if (body instanceof StreamCache cache && body instanceof InputStream in) {
                cache.reset();
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                cache.reset();
            } else {
                return "unread";
            }
            return Integer.toString(json.readTree(text).path("errcode").asInt(0));
        } catch (Exception e) {
            return "unreadable";
        }
    }
}
