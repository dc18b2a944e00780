package io.github.oac.store;

import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * What happened to callbacks and answers, as Micrometer counters under /actuator/metrics: oac.callbacks (tag
 * outcome: accepted, duplicate, retry, pickup, replay, full, limited, busy, ignored, replied, acknowledged),
 * oac.deliveries (tag path: how answers reached followers: passive, pickup, placeholder, push), oac.dead.letters (tag
 * reason) and oac.dead.letters.purged (outlived their retention). Called as {@code metrics}.
 */
@Component("metrics")
public class Metrics {

    private final MeterRegistry registry;

    public Metrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Counts a callback by what became of it; "new" ones by whether they got a passive reply. */
    public void callback(String admission, String replyText) {
        String outcome = !"new".equals(admission) ? admission : replyText != null ? "replied" : "acknowledged";
        registry.counter("oac.callbacks", "outcome", outcome).increment();
    }

    /**
     * An answer reached its follower by this path: passive (the reply to its own message's callback), pickup (the
     * reply to a later message), push (customer-service messages, counted at the first part), or the placeholder went
     * to a message's last delivery. hold and push decisions of a callback are not deliveries.
     */
    public void delivery(String path) {
        if (path != null && !"hold".equals(path) && !"push".equals(path)) {
            registry.counter("oac.deliveries", "path", path).increment();
        }
    }

    /** Counted where the push happens: the first part WeChat accepted. */
    public void pushed() {
        registry.counter("oac.deliveries", "path", "push").increment();
    }

    public void deadLetter(String reason) {
        registry.counter("oac.dead.letters", "reason", reason).increment();
    }

    /** Dead letters deleted because they outlived chat.dead-letters.retention. */
    public void deadLettersPurged(long count) {
        registry.counter("oac.dead.letters.purged").increment(count);
    }
}
