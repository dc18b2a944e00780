package io.github.oac.chat;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * Honours a provider's Retry-After (429/503): run as the model redelivery's onExceptionOccurred, it sets Camel's
 * CamelRedeliveryDelay header, which the error handler prefers over its own backoff. Without the header the
 * configured exponential backoff applies. The wait is capped by chat.redelivery.openai.maximum-redelivery-delay.
 */
@Component("retryAfter")
public class RetryAfter implements Processor {

    private final long maximumDelayMillis;

    public RetryAfter(ChatProperties properties) {
        this.maximumDelayMillis = properties.redelivery().openai().maximumRedeliveryDelay();
    }

    @Override
    public void process(Exchange exchange) {
        exchange.getMessage().removeHeader(Exchange.REDELIVERY_DELAY);
        Exception caught = exchange.getException() != null
                ? exchange.getException() : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (caught instanceof HttpOperationFailedException failed) {
            Long delay = delayMillis(failed.getResponseHeaders());
            if (delay != null) {
                exchange.getMessage().setHeader(Exchange.REDELIVERY_DELAY, Math.min(delay, maximumDelayMillis));
            }
        }
    }

    /**
     * A pause the provider asked for: a 429 or 503 whose Retry-After is more than nothing, in ms; null otherwise. Such a
     * failure is not retried by this instance on its own (model-errors): the provider is paused for every instance.
     */
    static Long pauseOf(Throwable failure) {
        if (failure instanceof HttpOperationFailedException failed
                && (failed.getStatusCode() == 429 || failed.getStatusCode() == 503)) {
            Long delay = delayMillis(failed.getResponseHeaders());
            return delay != null && delay > 0 ? delay : null;
        }
        return null;
    }

    /** The model call failed with a pause the provider asked for (see {@link #pauseOf}). */
    public boolean asksForPause(Exchange exchange) {
        Exception caught = exchange.getException() != null
                ? exchange.getException() : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        return pauseOf(caught) != null;
    }

    /** Retry-After as delta-seconds or an HTTP date; null when absent or unreadable. */
    static Long delayMillis(Map<String, String> headers) {
        if (headers == null) {
            return null;
        }
        String value = headers.entrySet().stream()
                .filter(e -> "Retry-After".equalsIgnoreCase(e.getKey()))
                .map(Map.Entry::getValue)
                .findFirst().orElse(null);
        if (value == null || value.isBlank()) {
            return null;
        }
        value = value.trim();
        try {
            return Math.max(0, (long) (Double.parseDouble(value) * 1000));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.max(0, Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis());
            } catch (RuntimeException notADate) {
                return null;
            }
        }
    }
}
