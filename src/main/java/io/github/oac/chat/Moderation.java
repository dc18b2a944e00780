package io.github.oac.chat;

import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.Turn;
import io.github.oac.wechat.Openids;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What may not be asked or answered: the operator's word list, and an OpenAI-compatible moderation service
 * (chat.moderation.api.*) when one is configured, called by the route moderation-service. A question that is flagged is
 * refused without a model call, an answer that is flagged is not delivered. Every verdict is counted
 * ({@code oac.moderation{stage,verdict}}); a blocked one is logged at INFO without the text or the word. Called as
 * {@code moderation}.
 */
@Component("moderation")
public class Moderation {

    private static final Logger LOG = LoggerFactory.getLogger(Moderation.class);

    private final WordList words;
    private final MeterRegistry registry;
    private final ChatRequests requests;
    private final ObjectMapper json;
    private final ChatProperties.Moderation.Api api;
    private final boolean serviceOn;

    public Moderation(WordList words, MeterRegistry registry, ChatRequests requests, ObjectMapper json,
                      ChatProperties properties) {
        this.words = words;
        this.registry = registry;
        this.requests = requests;
        this.json = json;
        this.api = properties.moderation().api();
        this.serviceOn = api != null && api.baseUrl() != null && !api.baseUrl().isBlank();
    }

    /** The text of the turn's question, as the model would be asked it. */
    public String question(Turn turn) {
        return requests.question(turn.message());
    }

    /** The text of an answer the model wrote, or null for the service's own texts (never moderated). */
    public String answer(Reply reply) {
        return reply != null && reply.generated() ? reply.text() : null;
    }

    /** The text contains a word of the operator's list. */
    public boolean listed(String text) {
        return text != null && words.matches(text);
    }

    /** The moderation service is configured and asked about this stage (question or answer). */
    public boolean serviceChecks(String stage) {
        String check = api == null ? "" : api.check().strip().toLowerCase(java.util.Locale.ROOT);
        return serviceOn && (check.equals("both") || check.equals(stage + "s") || check.equals(stage));
    }

    /** The moderation request: {"model": …, "input": text}. */
    public String requestBody(String text) throws JsonProcessingException {
        return json.writeValueAsString(Map.of("model", api.model(), "input", text == null ? "" : text));
    }

    /** The Authorization header for the moderation service. Holds its key: never log it. */
    public String authorization() {
        return "Bearer " + (api.apiKey() == null ? "" : api.apiKey());
    }

    /** Whether the moderation service flagged the text; an answer without results is a failure. */
    public boolean flagged(String response) throws JsonProcessingException {
        JsonNode results = json.readTree(response).path("results");
        if (!results.isArray() || results.isEmpty()) {
            throw new IllegalStateException("the moderation service answered without results");
        }
        for (JsonNode result : results) {
            if (result.path("flagged").asBoolean(false)) {
                return true;
            }
        }
        return false;
    }

    /** The service cannot be asked (after its retries): closed blocks, open lets through. */
    public boolean whenDown(String stage) {
        String policy = "question".equals(stage) ? api.onFailureQuestion() : api.onFailureAnswer();
        return !"open".equalsIgnoreCase(policy == null ? "" : policy.strip());
    }

    /** Counts and logs the verdict; "question blocked" or "answer blocked" when blocked, else null. */
    public String verdict(String stage, Turn turn, boolean blocked) {
        registry.counter("oac.moderation", "stage", stage, "verdict", blocked ? "blocked" : "passed").increment();
        if (!blocked) {
            return null;
        }
        LOG.info("Blocked the {} of message {} from {}", stage, turn.msgKey(), Openids.masked(turn.openid()));
        return stage + " blocked";
    }
}
