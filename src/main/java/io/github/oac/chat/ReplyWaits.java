package io.github.oac.chat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.ops.Metrics;
import io.github.oac.store.Admission.Admitted;
import io.github.oac.store.Keys;
import io.github.oac.store.Outbox;
import io.github.oac.store.Outbox.Handout;
import io.github.oac.wechat.Callback;
import io.github.oac.wechat.InboundMessage;

/**
 * The callbacks waiting for their own answer (hybrid and passive delivery). The answer is in Redis, offered by
 * whichever instance answered the message; a turn that offers one publishes the message's key on the replies channel,
 * and every instance wakes its callbacks waiting for that key, which then take it from Redis. The notice only saves
 * time: a callback also looks at its deadline, so a lost notice delays an answer, never loses it. A waiting callback
 * holds no Redis connection, and on virtual threads no platform thread either; at most chat.delivery.max-waiting
 * wait at once, beyond which a callback decides at once. Called as {@code replyWaits}.
 */
@Component("replyWaits")
public class ReplyWaits {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyWaits.class);

    /** Past chat.delivery.passive-wait by this much, WeChat (which waits 5 s) may be gone: the answer stays owed. */
    static final long TAKE_GRACE_MILLIS = 300;

    private final Outbox outbox;
    private final DeliveryMode deliveryMode;
    private final Metrics metrics;
    private final Duration passiveWait;
    private final Duration passiveHold;
    private final int passiveDeliveries;
    private final String thinking;
    private final int maxWaiting;
    private final Semaphore waiting;
    private final Map<String, Set<CompletableFuture<Void>>> wakes = new ConcurrentHashMap<>();

    public ReplyWaits(Outbox outbox, DeliveryMode deliveryMode, Metrics metrics, ChatProperties properties) {
        this.outbox = outbox;
        this.deliveryMode = deliveryMode;
        this.metrics = metrics;
        this.passiveWait = properties.delivery().passiveWait();
        this.passiveHold = properties.delivery().passiveHold();
        this.passiveDeliveries = properties.delivery().passiveDeliveries();
        this.thinking = properties.replies().thinking();
        this.maxWaiting = Math.max(0, properties.delivery().maxWaiting());
        this.waiting = new Semaphore(maxWaiting);
    }

    /**
     * Hybrid and passive delivery: what this callback's reply carries, when the callback waits for its own answer (a
     * question, or WeChat delivering it again); null when it does not wait. It waits in one of
     * chat.delivery.max-waiting places until chat.delivery.passive-wait after it arrived; then the deadline is decided
     * in one Redis step (see settle), and a passive delivery that is not the last is held past WeChat's 5 s on this
     * thread, so that WeChat sends the message again. An answer taken after WeChat stopped waiting for this delivery
     * is given back, owed to the next delivery or message, never written to a connection nobody reads.
     */
    public Handout handout(Callback callback, Admitted admitted) throws InterruptedException {
        if (!admitted.awaitsReply()) {
            return null;
        }
        InboundMessage message = callback.message();
        boolean placed = enter();
        try {
            Handout handout = await(callback, placed);
            if (handout == null) {
                handout = settle(callback, admitted, placed);
            }
            handout = inTime(callback, handout);
            if (Handout.HOLD.equals(handout.path())) {
                LOG.debug("No answer yet for {}: held past WeChat's 5 s so that it is sent again", message.key());
                Thread.sleep(handout.holdMillis()); // the callback's own thread waits, in its waiting place
            }
            metrics.delivered(callback.account(), handout);
            return handout;
        } finally {
            leave(placed);
        }
    }

    /**
     * One of chat.delivery.max-waiting places for a callback that waits for its answer (and, passive, is held
     * past WeChat's 5 s): true when one was free; {@link #leave} gives it back.
     */
    private boolean enter() {
        return waiting.tryAcquire();
    }

    public void leave(boolean placed) {
        if (placed) {
            waiting.release();
        }
    }

    /**
     * This message's reply once it is decided, waiting at most until chat.delivery.passive-wait after the callback
     * arrived (at the service's door, arrivedAt: time queued for a thread counts too); null when it was not decided by
     * then, or at once when the callback found no waiting place.
     */
    private Handout await(Callback callback, boolean placed) throws InterruptedException {
        long deadline = callback.arrivedAt() + passiveWait.toMillis();
        if (!placed) {
            return null;
        }
        String key = callback.message().key();
        while (System.currentTimeMillis() < deadline) {
            CompletableFuture<Void> wake = register(key);
            try {
                Handout handout = outbox.take(callback.follower(), key);
                long left = deadline - System.currentTimeMillis();
                if (handout != null || left <= 0) {
                    return handout;
                }
                wake.get(left, TimeUnit.MILLISECONDS);
            } catch (TimeoutException deadlineCame) {
                return null;
            } catch (ExecutionException impossible) {
                throw new IllegalStateException(impossible);
            } finally {
                unregister(key, wake);
            }
        }
        return null;
    }

    /**
     * The deadline came without a reply, decided in one Redis step: the answer after all (unless WeChat has given up
     * on this delivery by now: then it stays owed); hybrid: success, and the answer is pushed; passive: the last
     * delivery gets the placeholder, an earlier one is held past WeChat's 5 s so that WeChat sends the message again
     * (a callback without a waiting place is not held: it gets the placeholder).
     */
    private Handout settle(Callback callback, Admitted admitted, boolean placed) {
        long now = System.currentTimeMillis();
        long arrivedAt = callback.arrivedAt();
        boolean last = admitted.deliveries() >= passiveDeliveries || !placed;
        long hold = arrivedAt + passiveHold.toMillis() - now;
        Handout handout = outbox.settle(callback.follower(), callback.message().key(), admitted.mode(), last,
                Math.max(0, hold), now < arrivedAt + passiveWait.toMillis() + TAKE_GRACE_MILLIS);
        return Handout.PLACEHOLDER.equals(handout.path()) ? new Handout(Handout.PLACEHOLDER, thinking, 0, 0) : handout;
    }

    /**
     * The hand-out as decided, if its reply can still reach WeChat. A reply taken from Redis after the callback's
     * deadline (chat.delivery.passive-wait and a grace period from its arrival; WeChat gives up at 5 s), as when Redis
     * stalled across the take, is given back, owed to the message's next delivery or the follower's next message;
     * this delivery then answers without it (path late).
     */
    private Handout inTime(Callback callback, Handout handout) {
        if (handout == null || handout.entry() == null || !late(callback.arrivedAt())) {
            return handout;
        }
        giveBack(callback, handout.entry(), handout.text());
        return new Handout(Handout.LATE, null, 0, 0);
    }

    /** An owed answer picked up by this message's admission, if it can still reach WeChat; else given back: null. */
    public String pickupInTime(Callback callback, Admitted admitted) {
        if (admitted.pickedEntry() == null || !late(callback.arrivedAt())) {
            return admitted.reply();
        }
        giveBack(callback, admitted.pickedEntry(), admitted.reply());
        return null;
    }

    private boolean late(long arrivedAt) {
        return System.currentTimeMillis() > arrivedAt + passiveWait.toMillis() + TAKE_GRACE_MILLIS;
    }

    private void giveBack(Callback callback, String entry, String reply) {
        boolean undone = outbox.giveBack(callback.follower(), callback.message().key(), entry, reply);
        LOG.info("An answer for {} was ready only after WeChat stopped waiting for {}: {}",
                callback.follower().masked(), callback.message().key(),
                undone ? "owed again, to the next delivery or message" : "already handed out again");
    }

    /** Callbacks waiting here now (the gauge oac.callbacks.waiting). */
    public int waiting() {
        return maxWaiting - waiting.availablePermits();
    }

    /** A message's reply was decided somewhere ("mode": the delivery mode changed). */
    void decided(String key) {
        if ("mode".equals(key)) {
            deliveryMode.refresh();
            return;
        }
        Set<CompletableFuture<Void>> waiters = wakes.get(key);
        if (waiters != null) {
            waiters.forEach(wake -> wake.complete(null));
        }
    }

    private CompletableFuture<Void> register(String key) {
        CompletableFuture<Void> wake = new CompletableFuture<>();
        wakes.compute(key, (k, waiters) -> {
            Set<CompletableFuture<Void>> all = waiters == null ? ConcurrentHashMap.newKeySet() : waiters;
            all.add(wake);
            return all;
        });
        return wake;
    }

    private void unregister(String key, CompletableFuture<Void> wake) {
        wakes.computeIfPresent(key, (k, waiters) -> {
            waiters.remove(wake);
            return waiters.isEmpty() ? null : waiters;
        });
    }

    /** The subscription to the replies channel: one Redis connection per instance, however many wait. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class Subscription {

        @Bean
        RedisMessageListenerContainer repliesListener(RedisConnectionFactory redis, ReplyWaits waits, Keys keys) {
            RedisMessageListenerContainer container = new RedisMessageListenerContainer();
            container.setConnectionFactory(redis);
            // the subscription on a thread of its own; the listener only completes futures, so it runs on that
            // thread too, not on a new thread per notice
            container.setSubscriptionExecutor(runnable -> {
                Thread thread = new Thread(runnable, "oac-replies-subscription");
                thread.setDaemon(true);
                thread.start();
            });
            container.setTaskExecutor(new org.springframework.core.task.SyncTaskExecutor());
            container.addMessageListener((message, pattern) ->
                    waits.decided(new String(message.getBody(), java.nio.charset.StandardCharsets.UTF_8)),
                    new ChannelTopic(keys.repliesChannel()));
            return container;
        }
    }
}
