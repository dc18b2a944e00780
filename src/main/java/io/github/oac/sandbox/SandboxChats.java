package io.github.oac.sandbox;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import io.github.oac.config.ChatProperties;

/**
 * What the sandbox page shows, kept in memory: each follower's bubbles (bounded by chat.sandbox.history) and what
 * happened to their last message (bounded by chat.sandbox.trace-events), and the pages watching them. Everything
 * is pushed to those pages as server-sent events. Called as {@code sandboxChats}.
 */
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
@Component("sandboxChats")
public class SandboxChats implements DisposableBean {

    /** Only a handful of made-up followers use a sandbox; the oldest is forgotten beyond this. */
    private static final int MAX_FOLLOWERS = 100;
    private static final int MAX_ADMISSIONS = 1000;

    private final int historyMax;
    private final int traceMax;
    private final Map<String, Chat> chats = boundedMap(MAX_FOLLOWERS);
    private final Map<String, java.util.concurrent.CompletableFuture<String>> admissions = boundedMap(MAX_ADMISSIONS);
    private final Map<String, Set<SseEmitter>> watchers = new ConcurrentHashMap<>();
    // one thread sends every event in order; Camel's threads never wait on a slow page
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "sandbox-events");
        thread.setDaemon(true);
        return thread;
    });

    public SandboxChats(ChatProperties properties) {
        this.historyMax = Math.max(1, properties.sandbox().history());
        this.traceMax = Math.max(1, properties.sandbox().traceEvents());
    }

    /** A message from the page: a new bubble, and the start of a new "last message" trace. */
    public void followerSent(String openid, String path, String text, String detail) {
        Chat chat = chat(openid);
        Bubble bubble = new Bubble(now(), openid, "follower", path, text);
        TraceEvent event = new TraceEvent(bubble.at(), "callback", detail);
        synchronized (chat) {
            chat.add(bubble, historyMax);
            chat.trace.clear();
            chat.trace.add(event);
        }
        publish(openid, "bubble", bubble);
        publish(openid, "trace-reset", event);
    }

    public void accountSent(String openid, String path, String text) {
        Chat chat = chat(openid);
        Bubble bubble = new Bubble(now(), openid, "account", path, text);
        synchronized (chat) {
            chat.add(bubble, historyMax);
        }
        publish(openid, "bubble", bubble);
    }

    public void traced(String openid, String step, String detail) {
        Chat chat = chat(openid);
        TraceEvent event = new TraceEvent(now(), step, detail);
        synchronized (chat) {
            if (chat.trace.size() < traceMax) {
                chat.trace.add(event);
            }
        }
        publish(openid, "trace", event);
    }

    /**
     * The callback's admission outcome (null: it was refused before admission), and how its answer went (hybrid,
     * passive: its handout path), noted by the trace recorder under the callback's nonce when its exchange completes.
     */
    public void admitted(String nonce, String admission, String delivery) {
        admissions.computeIfAbsent(nonce, n -> new java.util.concurrent.CompletableFuture<>())
                .complete(admission == null || delivery == null ? admission : admission + "; reply: " + delivery);
    }

    /**
     * The callback's exchange completes just after its response was written, so the page's request may ask before
     * the recorder noted it: wait for that note, a second at most.
     */
    public String admission(String nonce) {
        java.util.concurrent.CompletableFuture<String> noted =
                admissions.computeIfAbsent(nonce, n -> new java.util.concurrent.CompletableFuture<>());
        try {
            return noted.get(1, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return null;
        } finally {
            admissions.remove(nonce);
        }
    }

    public Map<String, Object> conversation(String openid) {
        Chat chat = chats.get(openid);
        if (chat == null) {
            return Map.of("bubbles", List.of(), "trace", List.of());
        }
        synchronized (chat) {
            return Map.of("bubbles", List.copyOf(chat.bubbles), "trace", List.copyOf(chat.trace));
        }
    }

    /** A page watches one follower: it gets the conversation so far, then every change. */
    public void watch(String openid, SseEmitter emitter) {
        Set<SseEmitter> set = watchers.compute(openid, (k, existing) -> {
            Set<SseEmitter> all = existing == null ? ConcurrentHashMap.newKeySet() : existing;
            all.add(emitter);
            return all;
        });
        // the follower's entry goes with its last page, so watching many followers leaves nothing behind
        Runnable gone = () -> watchers.computeIfPresent(openid, (k, all) -> {
            all.remove(emitter);
            return all.isEmpty() ? null : all;
        });
        emitter.onCompletion(gone);
        emitter.onTimeout(gone);
        emitter.onError(e -> gone.run());
        Map<String, Object> history = conversation(openid);
        sender.execute(() -> send(set, emitter, "history", history));
    }

    private void publish(String openid, String name, Object data) {
        Set<SseEmitter> set = watchers.get(openid);
        if (set != null && !set.isEmpty()) {
            sender.execute(() -> set.forEach(emitter -> send(set, emitter, name, data)));
        }
    }

    private static void send(Set<SseEmitter> set, SseEmitter emitter, String name, Object data) {
        try {
            emitter.send(SseEmitter.event().name(name).data(data));
        } catch (IOException | IllegalStateException e) {
            set.remove(emitter); // the page went away
        }
    }

    private Chat chat(String openid) {
        synchronized (chats) {
            return chats.computeIfAbsent(openid, k -> new Chat());
        }
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    private static <V> Map<String, V> boundedMap(int max) {
        return java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > max;
            }
        });
    }

    @Override
    public void destroy() {
        sender.shutdownNow();
        watchers.values().forEach(set -> set.forEach(emitter -> {
            try {
                emitter.complete();
            } catch (RuntimeException alreadyGone) {
                // the container closed the page's response first, at shutdown
            }
        }));
    }

    private static final class Chat {
        final Deque<Bubble> bubbles = new ArrayDeque<>();
        final List<TraceEvent> trace = new ArrayList<>();

        void add(Bubble bubble, int max) {
            bubbles.addLast(bubble);
            while (bubbles.size() > max) {
                bubbles.removeFirst();
            }
        }
    }
}
