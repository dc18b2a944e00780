package io.github.oac.ops;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.StreamCache;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSentEvent;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.support.EventNotifierSupport;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.wechat.Follower;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Meters the calls that leave the process, from Camel's own events, so the routes need no metering steps: every
 * model call attempt as the timer oac.model.calls (tags outcome: ok or failed, and status: the HTTP status, or the
 * exception's name when there was none; p50 and p99 published, and a histogram for Prometheus), every
 * customer-service send as the counter oac.wechat.sends (tags path=push and errcode, as WeChat answered, or
 * http-NNN / io when it did not answer with JSON), and every retry as the counter oac.retries (tags stage: openai
 * or wechat, and reason: what the attempt before it got, http-NNN, errcode-N or the exception's name; not-sent when
 * that attempt failed before its request left). A retry is an attempt Camel's error handler makes again (its
 * CamelRedeliveryCounter is above 0); the reason travels in an exchange property from one attempt to the next. Each
 * with the tag account: the account of the follower the turn answers (its exchange's variable follower).
 */
@Component
public class OutboundCalls extends EventNotifierSupport {

    static final String MODEL_CALLS = "oac.model.calls";
    static final String WECHAT_SENDS = "oac.wechat.sends";
    static final String RETRIES = "oac.retries";
    private static final String LAST_FAILURE = "oac.lastFailure";
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
        setIgnoreExchangeRedeliveryEvents(true); // retries are counted from the attempts themselves
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
            String status = modelStatus(exchange);
            attempted(exchange, "openai", exchange.getException() == null ? null
                    : status.chars().allMatch(Character::isDigit) ? "http-" + status : status);
            Timer.builder(MODEL_CALLS)
                    .description("Model call attempts (each retry is one), by outcome and HTTP status")
                    .tag("outcome", exchange.getException() == null ? "ok" : "failed")
                    .tag("status", status)
                    .tag("provider", exchange.getVariable("provider") instanceof String p ? p : "default")
                    .tag(Metrics.ACCOUNT, account(exchange))
                    .publishPercentiles(0.5, 0.99)
                    .publishPercentileHistogram()
                    .register(registry)
                    .record(sent.getTimeTaken(), TimeUnit.MILLISECONDS);
        } else if (SEND_PATH.equals(exchange.getMessage().getHeader(Exchange.HTTP_PATH, String.class))) {
            String errcode = errcode(exchange);
            registry.counter(WECHAT_SENDS, "path", "push", "errcode", errcode, Metrics.ACCOUNT, account(exchange))
                    .increment();
            attempted(exchange, "wechat", "0".equals(errcode) ? null
                    : errcode.chars().allMatch(c -> Character.isDigit(c) || c == '-') ? "errcode-" + errcode : errcode);
        }
    }

    /**
     * An attempt of a call (stage openai or wechat) went out: a retry when Camel's error handler makes it again, counted
     * with what the attempt before it got; its own failure (null: none) is kept for the next one.
     */
    private void attempted(Exchange exchange, String stage, String failure) {
        Integer redelivery = exchange.getMessage().getHeader(Exchange.REDELIVERY_COUNTER, Integer.class);
        if (redelivery != null && redelivery > 0) {
            String reason = exchange.getProperty(LAST_FAILURE, "not-sent", String.class);
            registry.counter(RETRIES, "stage", stage, "reason", reason, Metrics.ACCOUNT, account(exchange)).increment();
        }
        if (failure == null) {
            exchange.removeProperty(LAST_FAILURE);
        } else {
            exchange.setProperty(LAST_FAILURE, failure);
        }
    }

    private static String account(Exchange exchange) {
        return Metrics.named(exchange.getVariable("follower") instanceof Follower follower ? follower.account() : null);
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
