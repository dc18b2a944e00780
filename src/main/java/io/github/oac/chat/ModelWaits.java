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

import io.github.oac.config.ChatProperties;
import io.github.oac.store.Turn;
import jakarta.annotation.PreDestroy;

/**
 * The turns whose model call is under way, by turn token, with when it began. A call still running after
 * chat.wechat.typing-delay shows "typing…" to its follower (direct:wechat-typing, routes/wechat-send.camel.yaml) when
 * the account pushes, so a fast answer costs one WeChat call and nothing else: no thread waits for it. The end gives
 * the model's time for the turn's log line. Called as {@code modelWaits}.
 */
@Component("modelWaits")
public class ModelWaits {

    private static final Logger LOG = LoggerFactory.getLogger(ModelWaits.class);

    private record Waiting(long began, ScheduledFuture<?> typing) {
    }

    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    private final CamelContext camel;
    private final DeliveryMode mode;
    private final boolean typing;
    private final long typingDelayMillis;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "model-typing-timer");
        thread.setDaemon(true);
        return thread;
    });
    private volatile ProducerTemplate producer;

    public ModelWaits(CamelContext camel, DeliveryMode mode, ChatProperties properties) {
        this.camel = camel;
        this.mode = mode;
        this.typing = properties.wechat().typing();
        this.typingDelayMillis = properties.wechat().typingDelay().toMillis();
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }

    /** The turn's model call begins. */
    public void begin(Turn turn) {
        ScheduledFuture<?> typingDue = typing
                ? timer.schedule(() -> showTyping(turn), typingDelayMillis, TimeUnit.MILLISECONDS) : null;
        Waiting previous = waiting.put(turn.token(), new Waiting(System.nanoTime(), typingDue));
        if (previous != null && previous.typing() != null) {
            previous.typing().cancel(false);
        }
    }

    /** The model answered (or was given up, or the turn stopped): how long that took, in ms. */
    public long end(Turn turn) {
        Waiting began = waiting.remove(turn.token());
        if (began == null) {
            return 0;
        }
        if (began.typing() != null) {
            began.typing().cancel(false);
        }
        return (System.nanoTime() - began.began()) / 1_000_000;
    }

    public boolean stillWaiting(Turn turn) {
        return waiting.containsKey(turn.token());
    }

    /** Best effort, on the side: never delays or fails the answer. Not in passive delivery (no customer-service API). */
    private void showTyping(Turn turn) {
        if (!stillWaiting(turn) || !mode.pushes(turn.follower().account())) {
            return;
        }
        try {
            if (producer == null) {
                producer = camel.createProducerTemplate();
            }
            producer.asyncSendBody("direct:wechat-typing", turn.follower());
        } catch (RuntimeException stopping) {
            LOG.debug("Typing indicator not shown: {}", stopping.getMessage());
        }
    }
}
