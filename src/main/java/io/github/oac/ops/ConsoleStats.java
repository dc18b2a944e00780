package io.github.oac.ops;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.component.seda.SedaEndpoint;
import org.springframework.stereotype.Component;

import io.github.oac.chat.DailyQuotas;
import io.github.oac.chat.ModelProviders;
import io.github.oac.config.Accounts;
import io.github.oac.store.DeadLetters;
import io.github.oac.store.ProviderLimits;
import io.github.oac.store.UsageLedger;
import io.github.oac.store.WaitingFollowers;
import io.github.oac.wechat.Openids;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;

/**
 * What the /console page plots, read from the service's own meters and queues: counters since start (the page turns
 * them into rates), gauges as they are now, and model latency percentiles over Micrometer's recent window; of every
 * account, or of one (?account=: its callbacks, sends, model calls, waiting followers and dead letters; the queue,
 * turns in flight and the breakers are shared). Called as {@code consoleStats}.
 */
@Component("consoleStats")
public class ConsoleStats {

    /** Counters are totals since start; the page plots their change per second. */
    public record Stats(long at, Map<String, Double> callbacks, Map<String, Double> sends, Model model,
                        int inFlight, int queued, Long waitingFollowers, Long deadLetters, boolean breakerOpen,
                        List<String> accounts, String account, List<TopFollower> topFollowers,
                        List<Provider> providers) {
    }

    /**
     * One model provider, shared by its accounts: its breaker, the turns waiting in its line (every instance's; null
     * when Redis does not answer), how long a Retry-After still pauses it (ms, as this instance knows), and this
     * instance's waits for it since start: turns timed, mean and longest wait (ms).
     */
    public record Provider(String name, boolean breakerOpen, Long waiting, long pausedFor, long timed,
                           double meanWait, double longestWait) {
    }

    /** One of the followers the model spent the most on today: their account, masked OpenID and tokens. */
    public record TopFollower(String account, String follower, long tokens) {
    }

    /** calls and failed: attempts since start; p50/p99 in ms over the recent window, of successful calls. */
    public record Model(long calls, long failed, Double p50, Double p99) {
    }

    /** Followers listed by tokens today. */
    private static final int TOP = 10;

    private final MeterRegistry registry;
    private final CamelContext camel;
    private final WaitingFollowers waitingFollowers;
    private final DeadLetters deadLetters;
    private final Accounts accounts;
    private final UsageLedger usage;
    private final DailyQuotas quotas;
    private final ModelProviders providers;
    private final ProviderLimits limits;

    public ConsoleStats(MeterRegistry registry, CamelContext camel, WaitingFollowers waitingFollowers,
                        DeadLetters deadLetters, Accounts accounts, UsageLedger usage, DailyQuotas quotas,
                        ModelProviders providers, ProviderLimits limits) {
        this.providers = providers;
        this.limits = limits;
        this.usage = usage;
        this.quotas = quotas;
        this.registry = registry;
        this.camel = camel;
        this.waitingFollowers = waitingFollowers;
        this.deadLetters = deadLetters;
        this.accounts = accounts;
    }

    /** Of every account (account null or empty), or of the one named; an unknown name is refused (400). */
    public Stats snapshot(String account) {
        String only = account == null || account.isBlank() ? null : account.strip();
        if (only != null && accounts.get(only) == null) {
            throw new DeadLetters.UnknownAccount();
        }
        Map<String, Double> callbacks = new TreeMap<>();
        for (Counter counter : counters("oac.callbacks", only)) {
            callbacks.merge(counter.getId().getTag("outcome"), counter.count(), Double::sum);
        }
        Map<String, Double> sends = new TreeMap<>();
        for (Counter counter : counters(OutboundCalls.WECHAT_SENDS, only)) {
            sends.merge(counter.getId().getTag("path") + " " + counter.getId().getTag("errcode"), counter.count(),
                    Double::sum);
        }
        // answers that went back inside a callback's reply (hybrid, passive delivery), by their path alone
        for (Counter counter : counters("oac.deliveries", only)) {
            String path = counter.getId().getTag("path");
            if (!"push".equals(path)) {
                sends.merge(path, counter.count(), Double::sum);
            }
        }
        // open when any provider's breaker is (one per model endpoint)
        boolean breakerOpen = registry.find("oac.model.breaker.open").gauges().stream()
                .anyMatch(breaker -> breaker.value() > 0);
        return new Stats(System.currentTimeMillis(), callbacks, sends, model(only), camel.getInflightRepository()
                .size("chat-answer"), queued(), redisCount(true, only), redisCount(false, only), breakerOpen,
                accounts.names(), only, topFollowers(only), providers());
    }

    private List<Provider> providers() {
        List<Provider> all = new java.util.ArrayList<>();
        for (String name : providers.names()) {
            boolean open = registry.find("oac.model.breaker.open").tag("provider", name).gauges().stream()
                    .anyMatch(breaker -> breaker.value() > 0);
            Long waiting;
            long pausedFor;
            try {
                String id = providers.idOf(name);
                waiting = limits.waiting(id);
                pausedFor = Math.max(0, limits.pausedUntil(id) - System.currentTimeMillis());
            } catch (RuntimeException redisDown) {
                waiting = null;
                pausedFor = 0;
            }
            Timer waits = registry.find("oac.model.limit.wait").tag("provider", name).timer();
            all.add(new Provider(name, open, waiting, pausedFor, waits == null ? 0 : waits.count(),
                    waits == null ? 0 : waits.mean(TimeUnit.MILLISECONDS),
                    waits == null ? 0 : waits.max(TimeUnit.MILLISECONDS)));
        }
        return all;
    }

    /** The ten followers the model spent the most on today, of the account or of all; empty when Redis is down. */
    private List<TopFollower> topFollowers(String account) {
        try {
            String day = quotas.today();
            List<TopFollower> top = new java.util.ArrayList<>();
            for (String name : account == null ? accounts.names() : List.of(account)) {
                for (UsageLedger.Spent spent : usage.top(name, day, TOP)) {
                    top.add(new TopFollower(name, Openids.masked(spent.openid()), spent.tokens()));
                }
            }
            top.sort(java.util.Comparator.comparingLong(TopFollower::tokens).reversed());
            return top.size() > TOP ? top.subList(0, TOP) : top;
        } catch (RuntimeException redisDown) {
            return List.of();
        }
    }

    /** The counters of that name: every account's, or the one's. */
    private java.util.Collection<Counter> counters(String name, String account) {
        return account == null ? registry.find(name).counters()
                : registry.find(name).tag(Metrics.ACCOUNT, account).counters();
    }

    private Model model(String account) {
        long calls = 0;
        long failed = 0;
        Double p50 = null;
        Double p99 = null;
        var timers = account == null ? registry.find(OutboundCalls.MODEL_CALLS).timers()
                : registry.find(OutboundCalls.MODEL_CALLS).tag(Metrics.ACCOUNT, account).timers();
        for (Timer timer : timers) {
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
    private Long redisCount(boolean waiting, String account) {
        try {
            return waiting ? account == null ? waitingFollowers.count() : waitingFollowers.count(account)
                    : account == null ? deadLetters.count() : deadLetters.count(account);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
