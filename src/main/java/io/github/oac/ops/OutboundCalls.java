package io.github.oac.ops;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.StreamCache;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.ExchangeRedeliveryEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSentEvent;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.support.EventNotifierSupport;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.wechat.WechatApiException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Meters the calls that leave the process, from Camel's own events, so the routes need no metering steps: every
 * model call attempt as the timer oac.model.calls (tags outcome: ok or failed, and status: the HTTP status, or the
 * exception's name when there was none; p50 and p99 published, and a histogram for Prometheus), every
 * customer-service send as the counter oac.wechat.sends (tags path=push and errcode, as WeChat answered, or
 * http-NNN / io when it did not answer with JSON), and every redelivery as the counter oac.retries (tags stage:
 * openai or wechat, and reason: the HTTP status, WeChat's errcode, or the exception's name).
 */
@Component
public class OutboundCalls extends EventNotifierSupport {

    static final String MODEL_CALLS = "oac.model.calls";
    static final String WECHAT_SENDS = "oac.wechat.sends";
    static final String RETRIES = "oac.retries";
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
        // not ignored: Camel times a send, and reports it sent, only when someone listens to "sending" too
        setIgnoreStepEvents(true);
    }

    @Override
    public void notify(CamelEvent event) {
        if (event instanceof ExchangeRedeliveryEvent redelivery) {
            retried(redelivery.getExchange());
            return;
        }
        if (!(event instanceof ExchangeSentEvent sent)) {
            return;
        }
        Exchange exchange = sent.getExchange();
        if (sent.getEndpoint().getEndpointUri().contains("/chat/completions")) {
            Timer.builder(MODEL_CALLS)
                    .description("Model call attempts (each retry is one), by outcome and HTTP status")
                    .tag("outcome", exchange.getException() == null ? "ok" : "failed")
                    .tag("status", modelStatus(exchange))
                    .publishPercentiles(0.5, 0.99)
                    .publishPercentileHistogram()
                    .register(registry)
                    .record(sent.getTimeTaken(), TimeUnit.MILLISECONDS);
        } else if (SEND_PATH.equals(exchange.getMessage().getHeader(Exchange.HTTP_PATH, String.class))) {
            registry.counter(WECHAT_SENDS, "path", "push", "errcode", errcode(exchange)).increment();
        }
    }

    /** A redelivery is about to happen: counted by the route that failed (the model's or WeChat's) and why. */
    private void retried(Exchange exchange) {
        org.apache.camel.Route route = exchange.getUnitOfWork() == null ? null : exchange.getUnitOfWork().getRoute();
        String routeId = route == null ? "" : route.getRouteId();
        String stage = routeId.equals("ask-model") ? "openai" : routeId.startsWith("wechat-") ? "wechat" : routeId;
        Exception failure = exchange.getException();
        String reason = failure instanceof HttpOperationFailedException http ? "http-" + http.getStatusCode()
                : failure instanceof WechatApiException wechat ? "errcode-" + wechat.getErrcode()
                : failure == null ? "unknown" : failure.getClass().getSimpleName();
        registry.counter(RETRIES, "stage", stage, "reason", reason).increment();
    }

    private static String modelStatus(Exchange exchange) {
        Exception failure = exchange.getException();
        if (failure instanceof HttpOperationFailedException http) {
            return Integer.toString(http.getStatusCode());
        }
        if (failure != null) {
            return failure.getClass().getSimpleName();
        }
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        return status == null ? "200" : status.toString();
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
