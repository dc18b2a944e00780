package io.github.oac.chat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.ProviderLimits;
import io.github.oac.store.Turn;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The model providers' limits, held for every instance together (chat.model.limits: requests and tokens a minute per
 * provider, each provider's own buckets in Redis, store/ProviderLimits), and a provider's Retry-After, which pauses it
 * for every instance. A turn over the limits does not call: it waits, its message left in the inbox and no thread
 * held, and is woken when its place in the provider's line comes (chat/LaterWakes); turns go in the order their
 * messages arrived, whichever follower and instance. The tokens a call may spend are estimated before it (the
 * question's characters, half a token each, and max_tokens, as providers count) and corrected from the usage the
 * provider reports. Without limits and while no provider is paused this costs no Redis step. Meters:
 * oac.model.limit.wait{provider} (from a turn's first ask to its call), oac.model.limit.waiting (turns of this
 * instance waiting), oac.model.paused{provider}. Called as {@code modelLimits}.
 */
@Component("modelLimits")
public class ModelLimits {

    private static final Logger LOG = LoggerFactory.getLogger(ModelLimits.class);
    /** What an image part of a question may cost, before the provider says. */
    private static final long IMAGE_TOKENS = 1000;
    /** A waiting turn that asks again this much later than it was told keeps its place in line. */
    private static final Duration GRACE = Duration.ofSeconds(2);
    /** A turn whose provider's limits Redis could not read asks again this much later. */
    private static final long UNREADABLE_WAIT_MILLIS = 1000;
    /** Turns woken at a pause's end are spread over this much, so they do not all call at once. */
    private static final long SPREAD_MILLIS = 500;

    /** What a permitted call took from its provider's tokens bucket, until the answer says what it spent. */
    private record Taken(String provider, ProviderLimits.Limits limits, long tokens) {
    }

    private final ProviderLimits store;
    private final ModelProviders providers;
    private final long longestPause;
    private final MeterRegistry registry;
    /** Providers paused by a Retry-After, by id: until when (System.nanoTime). */
    private final Map<String, Long> pausedUntil = new ConcurrentHashMap<>();
    private final Map<String, Taken> taken = new ConcurrentHashMap<>();

    public ModelLimits(ProviderLimits store, ModelProviders providers, ChatProperties properties,
                       MeterRegistry registry, LaterWakes laterWakes, RedisMessageListenerContainer subscription) {
        this.store = store;
        this.providers = providers;
        ChatProperties.Model.Limits configured = properties.model() == null ? null : properties.model().limits();
        this.longestPause = configured == null || configured.longestPause() == null ? 60_000
                : configured.longestPause().toMillis();
        this.registry = registry;
        Gauge.builder("oac.model.limit.waiting", laterWakes, LaterWakes::waiting)
                .description("Turns of this instance waiting for a model provider (its limits or a Retry-After)")
                .register(registry);
        for (String provider : providers.names()) {
            String id = providers.idOf(provider);
            Gauge.builder("oac.model.paused", pausedUntil, paused -> remaining(id) > 0 ? 1 : 0)
                    .description("1 while the provider is paused by its Retry-After")
                    .tag("provider", provider).register(registry);
        }
        subscription.addMessageListener((message, pattern) -> heard(new String(message.getBody(),
                java.nio.charset.StandardCharsets.UTF_8)), new ChannelTopic(store.pausesChannel()));
    }

    /**
     * Whether the turn may call the provider now: returns when it may (and the call counts against the limits), throws
     * {@link ModelPausedException} saying how long to wait when it may not.
     */
    public void permit(String provider, Turn turn, ChatRequest request) {
        String id = providers.idOf(provider);
        ProviderLimits.Limits limits = providers.limitsOf(provider);
        long paused = remaining(id);
        if (!limits.any()) {
            if (paused > 0) {
                throw new ModelPausedException("model provider " + provider + " is paused (Retry-After)",
                        paused + spread());
            }
            return;
        }
        long estimate = estimate(request);
        ProviderLimits.Answer answer;
        try {
            answer = store.permit(id, limits, turn.follower().account() + ":" + turn.openid() + ":" + turn.msgKey(),
                    turn.receivedAt() > 0 ? turn.receivedAt() : System.currentTimeMillis(), estimate, GRACE);
        } catch (RuntimeException redisDown) {
            // the limits cannot be read: the turn neither calls past them nor is given up (an apology) for it
            throw new ModelPausedException("the limits of model provider " + provider + " are not readable: "
                    + redisDown.getMessage(), UNREADABLE_WAIT_MILLIS);
        }
        if (!answer.permitted()) {
            throw new ModelPausedException("model provider " + provider + " is over its limits", answer.millis());
        }
        Timer.builder("oac.model.limit.wait")
                .description("Time a turn waited for its model provider's limits or Retry-After, from its first ask")
                .tag("provider", provider)
                .publishPercentileHistogram()
                .register(registry)
                .record(answer.millis(), TimeUnit.MILLISECONDS);
        if (limits.tokensPerMinute() > 0) {
            taken.put(turn.token(), new Taken(id, limits, estimate));
        }
    }

    /** The model answered: the tokens bucket is corrected by what the provider says the call spent. Best effort. */
    public void settle(Turn turn, ModelAnswer answer) {
        Taken took = taken.remove(turn.token());
        if (took == null || answer.tokens() <= 0) {
            return;
        }
        try {
            store.settle(took.provider(), took.limits(), took.tokens(), answer.tokens());
        } catch (RuntimeException redisDown) {
            LOG.warn("The tokens of message {} were not given back to the provider's limit: {}", turn.msgKey(),
                    redisDown.getMessage());
        }
    }

    /** The turn ended without an answer to settle. */
    public void forget(Turn turn) {
        taken.remove(turn.token());
    }

    /**
     * The provider answered 429 or 503 with Retry-After: no instance calls it for that long (at most
     * chat.model.limits.longest-pause); how long the turn waits.
     */
    public long pause(String provider, long retryAfterMillis) {
        String id = providers.idOf(provider);
        long millis = Math.min(longestPause, Math.max(0, retryAfterMillis));
        pausedLocally(id, millis);
        try {
            millis = store.pause(id, Duration.ofMillis(millis));
            store.announcePause(id, millis);
        } catch (RuntimeException redisDown) {
            LOG.warn("Model provider {} paused here only, not for the other instances: {}", provider,
                    redisDown.getMessage());
        }
        LOG.warn("Model provider {} asked for a pause (Retry-After): no calls for {} ms", provider, millis);
        return millis + spread();
    }

    /** How long the provider (by id) is paused from now, as this instance knows; 0 when it is not. */
    private long remaining(String id) {
        Long until = pausedUntil.get(id);
        if (until == null) {
            return 0;
        }
        long left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime());
        if (left <= 0) {
            pausedUntil.remove(id, until);
            return 0;
        }
        return left;
    }

    private void pausedLocally(String id, long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        pausedUntil.merge(id, until, Math::max);
    }

    /** Another instance paused a provider: "<id> <ms>". */
    private void heard(String notice) {
        String[] parts = notice.split(" ");
        if (parts.length == 2 && parts[1].matches("\\d{1,10}")) {
            pausedLocally(parts[0], Long.parseLong(parts[1]));
        }
    }

    private static long spread() {
        return ThreadLocalRandom.current().nextLong(SPREAD_MILLIS);
    }

    /** The tokens the call may spend: the question's characters (half a token each), its images, and max_tokens. */
    static long estimate(ChatRequest request) {
        long chars = 0;
        long images = 0;
        for (ChatRequest.ChatMessage message : request.messages()) {
            chars += message.text().length();
            if (message.content() instanceof List<?> parts) {
                images += parts.stream().filter(ChatRequest.ImagePart.class::isInstance).count();
            }
        }
        return (chars + 1) / 2 + images * IMAGE_TOKENS + Math.max(0, request.maxTokens());
    }
}
