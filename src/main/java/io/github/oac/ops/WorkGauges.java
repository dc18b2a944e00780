package io.github.oac.ops;

import org.apache.camel.CamelContext;
import org.apache.camel.component.seda.SedaEndpoint;
import org.springframework.stereotype.Component;

import io.github.oac.chat.ReplyWaits;
import io.github.oac.config.Accounts;
import io.github.oac.store.WaitingFollowers;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * How much work is waiting, as gauges read when scraped: oac.queue.depth (followers queued on seda:chat-answer),
 * oac.turns.in.flight (turns running here: most wait on the model) and oac.callbacks.waiting (hybrid and passive
 * callbacks waiting for their answer here), this instance's, shared by every account; and oac.followers.waiting
 * (tag account: followers with unanswered messages, on every instance, as of the recovery's last pass).
 */
@Component
public class WorkGauges implements MeterBinder {

    private final CamelContext camel;
    private final WaitingFollowers waitingFollowers;
    private final ReplyWaits replyWaits;
    private final Accounts accounts;

    public WorkGauges(CamelContext camel, WaitingFollowers waitingFollowers, ReplyWaits replyWaits,
                      Accounts accounts) {
        this.camel = camel;
        this.waitingFollowers = waitingFollowers;
        this.replyWaits = replyWaits;
        this.accounts = accounts;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("oac.queue.depth", this, WorkGauges::queueDepth)
                .description("Followers queued for the answering side on this instance").register(registry);
        Gauge.builder("oac.turns.in.flight", this, gauges -> gauges.camel.getInflightRepository().size("chat-answer"))
                .description("Turns running on this instance (most wait on the model)").register(registry);
        Gauge.builder("oac.callbacks.waiting", replyWaits, ReplyWaits::waiting)
                .description("Callbacks waiting here for their answer (hybrid and passive delivery)").register(registry);
        for (String account : accounts.names()) {
            Gauge.builder("oac.followers.waiting", waitingFollowers, followers -> followers.count(account))
                    .description("Followers with unanswered messages, on every instance").tag(Metrics.ACCOUNT, account)
                    .register(registry);
        }
    }

    private double queueDepth() {
        return camel.getEndpoint("seda:chat-answer", SedaEndpoint.class).getCurrentQueueSize();
    }
}
