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
 * What may not be asked or answered: the operator's word list (the account's), and an OpenAI-compatible moderation service
 * (chat.moderation.api.*) when one is configured, asked through routes/moderation.camel.yaml with a
 * {@link ModerationCheck}. A question that is flagged is refused without a model call (the blocked-question reply),
 * an answer that is flagged is not delivered (the blocked-answer reply, and a dead letter). Every verdict is counted
 * ({@code oac.moderation{stage,verdict}}); a blocked one is logged at INFO without the text or the word. The service's
 * own texts (the apology, a command's reply) are never moderated. Called as {@code moderation}.
 */
@Component("moderation")
public class Moderation {

    private static final Logger LOG = LoggerFactory.getLogger(Moderation.class);

    private final WordLists words;
    private final MeterRegistry registry;
    private final ChatRequests requests;
    private final ObjectMapper json;
    private final ChatProperties.Moderation.Api api;
    private final ChatProperties.Replies texts;
    private final boolean serviceOn;

    public Moderation(WordLists words, MeterRegistry registry, ChatRequests requests, ObjectMapper json,
                      ChatProperties properties) {
        this.words = words;
        this.registry = registry;
        this.requests = requests;
        this.json = json;
        this.api = properties.moderation().api();
        this.texts = properties.replies();
        this.serviceOn = api != null && api.baseUrl() != null && !api.baseUrl().isBlank();
    }

    /**
     * The turn's question before the model sees it: the request when it passes, the blocked-question reply when it
     * holds a listed word, or a ModerationCheck when the moderation service must see it too.
     */
    public Object question(Turn turn, Object request) {
        return check("question", requests.question(turn.message()), turn, request);
    }

    /** The model's answer before the follower sees it, likewise; the service's own texts pass unmoderated. */
    public Object answer(Turn turn, Reply reply) {
        return reply.generated() ? check("answer", reply.text(), turn, reply) : reply;
    }

    private Object check(String stage, String text, Turn turn, Object passing) {
        if (text != null && words.matches(turn.follower().account(), text)) {
            return verdict(stage, turn, true, passing);
        }
        if (serviceChecks(stage)) {
            return new ModerationCheck(stage, text, turn, passing);
        }
        return verdict(stage, turn, false, passing);
    }

    /** The moderation service's verdict on a check (flagged: true when it flagged the text, or by its policy). */
    public Object verdict(ModerationCheck check, boolean flagged) {
        return verdict(check.stage(), check.turn(), flagged, check.passing());
    }

    /** The moderation service is configured and asked about this stage (question or answer). */
    boolean serviceChecks(String stage) {
        String check = api == null ? "" : api.check().strip().toLowerCase(java.util.Locale.ROOT);
        return serviceOn && (check.equals("both") || check.equals(stage + "s") || check.equals(stage));
    }

    /** The moderation request: {"model": …, "input": text}. */
    public String requestBody(ModerationCheck check) throws JsonProcessingException {
        return json.writeValueAsString(Map.of("model", api.model(), "input", check.text() == null ? "" : check.text()));
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
    public boolean whenDown(ModerationCheck check) {
        String policy = "question".equals(check.stage()) ? api.onFailureQuestion() : api.onFailureAnswer();
        return !"open".equalsIgnoreCase(policy == null ? "" : policy.strip());
    }

    /** Counts and logs the verdict: what passes goes on, a blocked text is replaced by its reply. */
    private Object verdict(String stage, Turn turn, boolean blocked, Object passing) {
        registry.counter("oac.moderation", "stage", stage, "verdict", blocked ? "blocked" : "passed",
                io.github.oac.ops.Metrics.ACCOUNT, io.github.oac.ops.Metrics.named(turn.follower().account()))
                .increment();
        if (!blocked) {
            return passing;
        }
        LOG.info("Blocked the {} of message {} from {}", stage, turn.msgKey(), Openids.masked(turn.openid()));
        return "question".equals(stage) ? Reply.blocked(texts.blockedQuestion(), Reply.QUESTION_BLOCKED)
                : Reply.blocked(texts.blockedAnswer(), Reply.ANSWER_BLOCKED);
    }
}
