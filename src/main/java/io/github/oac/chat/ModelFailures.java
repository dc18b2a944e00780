package io.github.oac.chat;

import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.Turn;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;

/**
 * Says why a model call failed, for the log: the provider's status and its own error message (a wrong key, an
 * unknown model), never the key itself. Called as {@code modelFailures}.
 */
@Component("modelFailures")
public class ModelFailures {

    private static final int MAX_MESSAGE = 300;

    private final ObjectMapper json;
    private final List<String> apiKeys;

    private final boolean waitWhileOpen;
    private final ModelLimits limits;
    private final ChatRequests requests;

    public ModelFailures(ObjectMapper json, ChatProperties properties, ModelProviders providers, ModelLimits limits,
                         ChatRequests requests) {
        this.json = json;
        this.apiKeys = providers.keys();
        this.waitWhileOpen = "wait".equalsIgnoreCase(properties.breaker().whenOpen());
        this.limits = limits;
        this.requests = requests;
    }

    /**
     * The turn should wait for the model rather than be given up: the provider is over its limits or paused, it asked
     * for a pause (429 or 503 with Retry-After), or its breaker is open and the operator prefers waiting to
     * apologising.
     */
    public boolean shouldWait(Exchange exchange) {
        Throwable failure = failure(exchange);
        if (isWait(failure)) {
            return true;
        }
        for (Throwable cause = failure; waitWhileOpen && cause != null; cause = next(cause)) {
            if (cause instanceof CallNotPermittedException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The failure is a wait, not the provider failing: over its limits or paused (ModelPausedException), or its
     * 429/503 asked for a pause (Retry-After). Its breaker counts none, and no fallback is asked.
     */
    static boolean isWait(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = next(cause)) {
            if (cause instanceof ModelPausedException || RetryAfter.pauseOf(cause) != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * The provider just asked failed, and the question goes to its fallback (when it has one: not "none") rather than to
     * the apology: its retries are spent, its breaker is open, it refused the request; not when the question waits
     * (over the limits, a Retry-After), which keeps it with its provider.
     */
    public boolean fallsBackTo(Exchange exchange, String fallback) {
        if (fallback == null || fallback.isBlank() || ModelProviders.NO_FALLBACK.equals(fallback)) {
            return false;
        }
        return !isWait(failure(exchange));
    }

    /**
     * Throws the {@link ModelPausedException} that puts the turn back, saying how long it waits; a Retry-After pauses
     * the turn's provider for every instance first.
     */
    public void waitInstead(Exchange exchange) {
        for (Throwable cause = failure(exchange); cause != null; cause = next(cause)) {
            if (cause instanceof ModelPausedException paused) {
                throw paused;
            }
            Long retryAfter = RetryAfter.pauseOf(cause);
            if (retryAfter != null) {
                // the provider that answered so: the turn's own, or a fallback
                String provider = exchange.getVariable("provider") instanceof String asked ? asked
                        : requests.providerOf(exchange.getVariable("turn", Turn.class));
                throw new ModelPausedException("model provider " + provider + " asked for a pause",
                        limits.pause(provider, retryAfter));
            }
        }
        throw new ModelPausedException("the model's circuit breaker is open");
    }

    private static Throwable failure(Exchange exchange) {
        return exchange.getException() != null
                ? exchange.getException() : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
    }

    private static Throwable next(Throwable cause) {
        return cause.getCause() == cause ? null : cause.getCause();
    }

    public String describe(Exchange exchange) {
        Throwable failure = exchange.getException() != null
                ? exchange.getException() : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        // the circuit breaker and Camel wrap what the provider said; the cause chain holds it
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpOperationFailedException http) {
                return "the model server answered HTTP " + http.getStatusCode()
                        + providerMessage(http.getResponseBody());
            }
            if (cause.getCause() == null || cause.getCause() == cause) {
                failure = cause;
                break;
            }
        }
        return failure == null ? "unknown failure" : masked(failure.getClass().getSimpleName() + ": " + failure.getMessage());
    }

    private String providerMessage(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        String message;
        try {
            JsonNode error = json.readTree(body).path("error");
            message = error.isTextual() ? error.asText() : error.path("message").asText("");
            if (message.isEmpty()) {
                message = body;
            }
        } catch (Exception notJson) {
            message = body; // an HTML page from a proxy, say
        }
        message = message.replaceAll("\\s+", " ").strip();
        return ": " + masked(message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "…" : message);
    }

    /** Removes the keys, and anything shaped like one (providers echo part of a wrong key back). */
    private String masked(String text) {
        String result = text;
        for (String apiKey : apiKeys) {
            if (apiKey.length() >= 4) {
                result = result.replace(apiKey, "***");
            }
        }
        return result.replaceAll("sk-[A-Za-z0-9_*\\-]{4,}", "sk-***");
    }
}
