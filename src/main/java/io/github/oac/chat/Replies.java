package io.github.oac.chat;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.ops.Metrics;
import io.github.oac.store.Turn;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The reply a turn sends, by what the follower asked: the model's answer as plain text (with a note when the
 * question was cut), moderated; the apology; a command's reply. The tokens the provider counted are added to the meter
 * oac.model.tokens (tag type: prompt, completion). Called as {@code replies}.
 */
@Component("replies")
public class Replies {

    private final ChatRequests requests;
    private final AnswerFormatter formatter;
    private final Moderation moderation;
    private final ModelWaits modelWaits;
    private final ChatProperties.Replies texts;
    private final MeterRegistry registry;
    private final DailyQuotas quotas;
    private final ModelLimits limits;

    public Replies(ChatRequests requests, AnswerFormatter formatter, Moderation moderation, ModelWaits modelWaits,
                   MeterRegistry registry, ChatProperties properties, DailyQuotas quotas, ModelLimits limits) {
        this.quotas = quotas;
        this.limits = limits;
        this.requests = requests;
        this.formatter = formatter;
        this.moderation = moderation;
        this.modelWaits = modelWaits;
        this.texts = properties.replies();
        this.registry = registry;
    }

    /** oac.model.tokens{kind, provider, model, account}: the tokens the model provider counted. */
    private void countTokens(Turn turn, String provider, String kind, long tokens) {
        Counter.builder("oac.model.tokens").tag("kind", kind).tag("provider", provider)
                .tag("model", requests.modelOf(turn, provider)).tag(Metrics.ACCOUNT, Metrics.named(turn.follower().account()))
                .description("Tokens the model provider counted, by kind, provider and model").register(registry)
                .increment(tokens);
    }

    /**
     * The model's answer: Markdown to plain text, remembered as the model wrote it; the Reply, the blocked-answer
     * reply when it holds a listed word, or a ModerationCheck when the moderation service must see it first.
     */
    public Object answered(Turn turn, ModelAnswer modelAnswer, String provider) {
        ModelAnswer timed = modelAnswer.took(modelWaits.end(turn));
        String answeredBy = provider == null ? requests.providerOf(turn) : provider;
        countTokens(turn, answeredBy, "prompt", timed.promptTokens());
        countTokens(turn, answeredBy, "completion", timed.completionTokens());
        quotas.spent(turn, timed.tokens());
        limits.settle(turn, timed);
        String text = formatter.toPlainText(timed.text());
        if (requests.truncated(turn.message())) {
            text = texts.questionTruncated() + "\n\n" + text;
        }
        return moderation.answer(turn, Reply.answer(text, requests.question(turn.message()), timed));
    }

    /** The model could not be asked (retries spent, breaker open): an apology beats silence. */
    public Reply apology(Turn turn) {
        modelWaits.end(turn);
        return Reply.of(texts.apology());
    }

    /** The follower's daily quota is spent: said instead of asking the model. */
    public Reply quotaExceeded() {
        return Reply.of(texts.quotaExceeded());
    }

    public Reply resetDone() {
        return Reply.forgetting(texts.resetDone());
    }

    /** The continue command: the rest of the last long answer, or the words for nothing pending. */
    public Reply continued(Turn turn) {
        return turn.pending() == null ? Reply.of(texts.nothingPending()) : Reply.generated(turn.pending());
    }
}
