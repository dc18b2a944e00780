package io.github.oac.store;

import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * What happened to callbacks and answers, as Micrometer counters under /actuator/metrics: oac.callbacks (tag
 * outcome: accepted, duplicate, replay, full, limited, busy, ignored, replied, acknowledged), oac.dead.letters (tag
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

    public void deadLetter(String reason) {
        registry.counter("oac.dead.letters", "reason", reason).increment();
    }

    /** Dead letters deleted because they outlived chat.dead-letters.retention. */
    public void deadLettersPurged(long count) {
        registry.counter("oac.dead.letters.purged").increment(count);
    }
}
