package io.github.oac.chat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.github.oac.store.Turn;
import io.github.oac.wechat.Openids;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What may not be asked or answered, by the operator's word list: a question containing a listed word is refused
 * without a model call, an answer containing one is not delivered. Every verdict is counted
 * ({@code oac.moderation{stage,verdict}}); a blocked one is logged at INFO without the text or the word. Called as
 * {@code moderation}.
 */
@Component("moderation")
public class Moderation {

    private static final Logger LOG = LoggerFactory.getLogger(Moderation.class);

    private final WordList words;
    private final MeterRegistry registry;
    private final ChatRequests requests;

    public Moderation(WordList words, MeterRegistry registry, ChatRequests requests) {
        this.words = words;
        this.registry = registry;
        this.requests = requests;
    }

    /** The turn's question contains a listed word. */
    public boolean blocksQuestion(Turn turn) {
        return verdict("question", turn, words.matches(requests.question(turn.message())));
    }

    /** The model's answer contains a listed word. */
    public boolean blocksAnswer(Turn turn, Reply reply) {
        return verdict("answer", turn, reply != null && reply.generated() && words.matches(reply.text()));
    }

    private boolean verdict(String stage, Turn turn, boolean blocked) {
        registry.counter("oac.moderation", "stage", stage, "verdict", blocked ? "blocked" : "passed").increment();
        if (blocked) {
            LOG.info("Blocked the {} of message {} from {} (word list)", stage, turn.msgKey(),
                    Openids.masked(turn.openid()));
        }
        return blocked;
    }
}
