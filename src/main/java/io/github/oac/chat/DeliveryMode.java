package io.github.oac.chat;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;
import io.github.oac.store.Keys;
import io.github.oac.wechat.WechatApiException;
import jakarta.annotation.PostConstruct;

/**
 * How answers reach followers (chat.delivery.mode, WECHAT_DELIVERY): push, passive, hybrid, or auto, which is hybrid
 * until WeChat answers a push with 48001 (the account has no customer-service API) and passive from then on, for
 * every instance: the switch is kept in Redis ({@code oac:delivery}) and announced on the replies channel. The
 * callback reads the mode in its admission step; the answering side keeps a copy here. Called as
 * {@code deliveryMode}.
 */
@Component("deliveryMode")
public class DeliveryMode {

    public static final String PUSH = "push";
    public static final String PASSIVE = "passive";
    public static final String HYBRID = "hybrid";
    public static final String AUTO = "auto";
    private static final Set<String> MODES = Set.of(PUSH, PASSIVE, HYBRID, AUTO);
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryMode.class);

    private final String configured;
    private final StringRedisTemplate redis;
    private final Keys keys;
    private final AtomicBoolean switchReported = new AtomicBoolean();
    private volatile boolean learnedPassive;

    public DeliveryMode(ChatProperties properties, StringRedisTemplate redis, Keys keys) {
        this.configured = properties.delivery().mode() == null ? AUTO
                : properties.delivery().mode().strip().toLowerCase(Locale.ROOT);
        if (!MODES.contains(configured)) {
            throw new IllegalArgumentException("chat.delivery.mode (WECHAT_DELIVERY) must be one of push, passive, "
                    + "hybrid, auto; it is '" + properties.delivery().mode() + "'");
        }
        this.redis = redis;
        this.keys = keys;
    }

    /** The mode in force now: auto resolved to hybrid, or passive once the account turned out to need it. */
    public String current() {
        if (!AUTO.equals(configured)) {
            return configured;
        }
        return learnedPassive ? PASSIVE : HYBRID;
    }

    /** Answers go back inside callback replies (hybrid, passive), not only by customer-service message. */
    public boolean offers() {
        return !PUSH.equals(current());
    }

    /** The customer-service API may be used (push, hybrid): the typing indicator too. */
    public boolean pushes() {
        return !PASSIVE.equals(current());
    }

    /** auto, and WeChat just said the account has no customer-service API: switch to passive delivery. */
    public boolean switchesOn(Exception refusal) {
        return AUTO.equals(configured) && refusal instanceof WechatApiException wechat && wechat.isPermissionMissing();
    }

    /** From now on, on every instance, answers go back in callback replies only. */
    public void switchToPassive() {
        learnedPassive = true;
        redis.opsForValue().set(keys.deliveryMode(), PASSIVE);
        redis.convertAndSend(keys.repliesChannel(), "mode");
        if (switchReported.compareAndSet(false, true)) {
            LOG.warn("WeChat answered 48001 (api unauthorized): this Official Account has no customer-service API "
                    + "(an unverified subscription account, say). Delivery switches from hybrid to passive for good: "
                    + "answers go back in the reply to the follower's message, within WeChat's three deliveries of "
                    + "it, else with the follower's next message; nothing is pushed. Answers that were waiting for a "
                    + "push wait for the follower's next message. (Kept in Redis as oac:delivery; delete that key "
                    + "once the account is verified.)");
        }
    }

    /** Re-reads what the account turned out to need (another instance may have switched, or before a restart). */
    @PostConstruct
    public void refresh() {
        if (AUTO.equals(configured)) {
            try {
                learnedPassive = PASSIVE.equals(redis.opsForValue().get(keys.deliveryMode()));
            } catch (RuntimeException redisDown) {
                // keep what we knew; the next refresh tries again
            }
        }
    }
}
