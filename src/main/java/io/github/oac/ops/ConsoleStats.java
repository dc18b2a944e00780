package io.github.oac.ops;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.component.seda.SedaEndpoint;
import org.springframework.stereotype.Component;

import io.github.oac.store.DeadLetters;
import io.github.oac.store.WaitingFollowers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;

/**
 * What the /console page plots, read from the service's own meters and queues: counters since start (the page turns
 * them into rates), gauges as they are now, and model latency percentiles over Micrometer's recent window. Called
 * as {@code consoleStats}.
 */
@Component("consoleStats")
public class ConsoleStats {

    /** Counters are totals since start; the page plots their change per second. */
    public record Stats(long at, Map<String, Double> callbacks, Map<String, Double> sends, Model model,
                        int inFlight, int queued, Long waitingFollowers, Long deadLetters, boolean breakerOpen) {
    }

    /** calls and failed: attempts since start; p50/p99 in ms over the recent window, of successful calls. */
    public record Model(long calls, long failed, Double p50, Double p99) {
    }

    private final MeterRegistry registry;
    private final CamelContext camel;
    private final WaitingFollowers waitingFollowers;
    private final DeadLetters deadLetters;

    public ConsoleStats(MeterRegistry registry, CamelContext camel, WaitingFollowers waitingFollowers, DeadLetters deadLetters) {
        this.registry = registry;
        this.camel = camel;
        this.waitingFollowers = waitingFollowers;
        this.deadLetters = deadLetters;
    }

    public Stats snapshot() {
        Map<String, Double> callbacks = new TreeMap<>();
        for (Counter counter : registry.find("oac.callbacks").counters()) {
            callbacks.merge(counter.getId().getTag("outcome"), counter.count(), Double::sum);
        }
        Map<String, Double> sends = new TreeMap<>();
        for (Counter counter : registry.find(OutboundCalls.WECHAT_SENDS).counters()) {
            sends.merge(counter.getId().getTag("path") + " " + counter.getId().getTag("errcode"), counter.count(),
                    Double::sum);
        }
        // answers that went back inside a callback's reply (hybrid, passive delivery), by their path alone
        for (Counter counter : registry.find("oac.deliveries").counters()) {
            String path = counter.getId().getTag("path");
            if (!"push".equals(path)) {
                sends.merge(path, counter.count(), Double::sum);
            }
        }
        Gauge breaker = registry.find("oac.model.breaker.open").gauge();
        return new Stats(System.currentTimeMillis(), callbacks, sends, model(), camel.getInflightRepository()
                .size("chat-answer"), queued(), redisCount(true), redisCount(false),
                breaker != null && breaker.value() > 0);
    }

    private Model model() {
        long calls = 0;
        long failed = 0;
        Double p50 = null;
        Double p99 = null;
        for (Timer timer : registry.find(OutboundCalls.MODEL_CALLS).timers()) {
            calls += timer.count();
            if ("failed".equals(timer.getId().getTag("outcome"))) {
                failed += timer.count();
                continue;
            }
            for (ValueAtPercentile value : timer.takeSnapshot().percentileValues()) {
                if (value.percentile() == 0.5) {
                    p50 = value.value(TimeUnit.MILLISECONDS);
                } else if (value.percentile() == 0.99) {
                    p99 = value.value(TimeUnit.MILLISECONDS);
                }
            }
        }
        return new Model(calls, failed, p50, p99);
    }

    private int queued() {
        return camel.getEndpoint("seda:chat-answer", SedaEndpoint.class).getCurrentQueueSize();
    }

    /** Followers with unanswered messages, or dead letters; null when Redis does not answer. */
    private Long redisCount(boolean waiting) {
        try {
            return waiting ? waitingFollowers.count() : deadLetters.count();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
