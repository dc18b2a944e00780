package io.github.oac.store;

import java.time.Duration;
import java.util.List;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * A model provider's limits, held in Redis for every instance at once (model-permit, model-settle, model-pause on the
 * provider's keys, one hash tag a provider): its requests and tokens buckets, the line of turns waiting for it by
 * their message's arrival, and a Retry-After's pause. Called by chat/ModelLimits.
 */
@Component
public class ProviderLimits {

    /** model-permit.lua. */
    record Permit(String limits, String line, String turns, String turn, String arrivedAt, String requestsPerMinute,
                  String tokensPerMinute, String burst, String estimate, String grace) implements Script.Call {
        public List<String> keys() {
            return List.of(limits, line, turns);
        }

        public List<String> args() {
            return List.of(turn, arrivedAt, requestsPerMinute, tokensPerMinute, burst, estimate, grace);
        }
    }

    /** model-settle.lua. */
    record Settle(String limits, String tokensPerMinute, String burst, String taken, String spent)
            implements Script.Call {
        public List<String> keys() {
            return List.of(limits);
        }

        public List<String> args() {
            return List.of(tokensPerMinute, burst, taken, spent);
        }
    }

    /** model-pause.lua. */
    record Pause(String limits, String millis) implements Script.Call {
        public List<String> keys() {
            return List.of(limits);
        }

        public List<String> args() {
            return List.of(millis);
        }
    }

    /** What model-permit said: the turn may call now (after waiting waitedMillis in all), or must wait waitMillis. */
    public record Answer(boolean permitted, long millis) {
    }

    /** One provider's limits: per minute (0: none) and the burst, this long's share of each. */
    public record Limits(int requestsPerMinute, int tokensPerMinute, Duration burst) {
        public boolean any() {
            return requestsPerMinute > 0 || tokensPerMinute > 0;
        }
    }

    @SuppressWarnings("rawtypes")
    private static final Script<Permit, List> PERMIT = Script.of("model-permit", List.class);
    private static final Script<Settle, Long> SETTLE = Script.of("model-settle", Long.class);
    private static final Script<Pause, Long> PAUSE = Script.of("model-pause", Long.class);

    private final StringRedisTemplate redis;
    private final Keys keys;

    public ProviderLimits(StringRedisTemplate redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    /** Asks for the provider on behalf of one turn (its id, its message's arrival), which may spend estimate tokens. */
    public Answer permit(String provider, Limits limits, String turn, long arrivedAt, long estimate, Duration grace) {
        List<?> answer = PERMIT.run(redis, new Permit(keys.providerLimits(provider), keys.providerLine(provider),
                keys.providerTurns(provider), turn, Long.toString(arrivedAt),
                Integer.toString(limits.requestsPerMinute()), Integer.toString(limits.tokensPerMinute()),
                Script.millis(limits.burst()), Long.toString(estimate), Script.millis(grace)));
        return new Answer(((Number) answer.get(0)).longValue() == 1, ((Number) answer.get(1)).longValue());
    }

    /** The call spent this many tokens of the taken it was permitted: the difference goes back to the bucket. */
    public void settle(String provider, Limits limits, long taken, long spent) {
        SETTLE.run(redis, new Settle(keys.providerLimits(provider), Integer.toString(limits.tokensPerMinute()),
                Script.millis(limits.burst()), Long.toString(taken), Long.toString(spent)));
    }

    /** No instance calls the provider for this long (a Retry-After); how long it is paused from now (ms). */
    public long pause(String provider, Duration pause) {
        Long paused = PAUSE.run(redis, new Pause(keys.providerLimits(provider), Script.millis(pause)));
        return paused == null ? pause.toMillis() : paused;
    }

    /** Turns waiting in the provider's line now (the console). */
    public long waiting(String provider) {
        Long size = redis.opsForZSet().zCard(keys.providerLine(provider));
        return size == null ? 0 : size;
    }

    /** Until when (epoch ms) the provider is paused by a Retry-After; 0 when it is not. */
    public long pausedUntil(String provider) {
        Object until = redis.opsForHash().get(keys.providerLimits(provider), "until");
        return until == null ? 0 : Long.parseLong(until.toString());
    }

    /** The channel on which an instance tells the others that a provider is paused ("<provider> <ms>"). */
    public String pausesChannel() {
        return keys.providerPausesChannel();
    }

    public void announcePause(String provider, long millis) {
        redis.convertAndSend(keys.providerPausesChannel(), provider + " " + millis);
    }
}
