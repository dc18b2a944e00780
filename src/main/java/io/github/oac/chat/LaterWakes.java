package io.github.oac.chat;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.github.oac.wechat.Follower;
import jakarta.annotation.PreDestroy;

/**
 * Followers whose turn waits for the model (over the provider's limits, or paused by a Retry-After): each is woken
 * again (direct:wake, routes/recovery.camel.yaml) when the wait is over, by a timer, so no thread waits meanwhile.
 * One wake a follower: a later wait replaces an earlier one. Should this instance die, the follower's inbox is found
 * by another's recovery. Called as {@code laterWakes}.
 */
@Component("laterWakes")
public class LaterWakes {

    private static final Logger LOG = LoggerFactory.getLogger(LaterWakes.class);

    private final CamelContext camel;
    private final Map<Follower, ScheduledFuture<?>> due = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "model-wait-timer");
        thread.setDaemon(true);
        return thread;
    });
    private volatile ProducerTemplate producer;

    public LaterWakes(CamelContext camel) {
        this.camel = camel;
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }

    /** Wakes the follower after this long. */
    public void wakeAfter(Follower follower, long millis) {
        java.util.concurrent.CompletableFuture<ScheduledFuture<?>> self = new java.util.concurrent.CompletableFuture<>();
        ScheduledFuture<?> wake = timer.schedule(() -> {
            due.remove(follower, self.join()); // unless a later wait replaced this one
            wake(follower);
        }, millis, TimeUnit.MILLISECONDS);
        self.complete(wake);
        ScheduledFuture<?> previous = due.put(follower, wake);
        if (previous != null) {
            previous.cancel(false);
        }
        if (wake.isDone()) {
            due.remove(follower, wake); // it ran before it was put
        }
    }

    /** Followers waiting here for their wake (the gauge oac.model.limit.waiting). */
    public int waiting() {
        return due.size();
    }

    private void wake(Follower follower) {
        try {
            if (producer == null) {
                producer = camel.createProducerTemplate();
            }
            producer.sendBody("direct:wake", follower);
        } catch (RuntimeException stopping) {
            LOG.debug("Wake after the model's wait not sent (recovery finds the follower): {}", stopping.getMessage());
        }
    }
}
