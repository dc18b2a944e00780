package io.github.oac.chat;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

import io.github.oac.config.Accounts;
import io.github.oac.store.Keys;
import io.github.oac.wechat.Follower;
import io.github.oac.wechat.WechatApiException;
import jakarta.annotation.PostConstruct;

/**
 * How answers reach followers (chat.delivery.mode, WECHAT_DELIVERY; chat.accounts.<name>.delivery for another
 * account): push, passive, hybrid, or auto, which is hybrid until WeChat answers a push with 48001 (the account has no
 * customer-service API) and passive from then on, for every instance: the switch is kept in Redis, one key an account
 * ({@code oac:{<account>}:delivery}), and announced on the replies channel. Each account has its own mode: one that
 * turned out to need passive delivery changes nothing for another. The callback reads the mode in its admission
 * step; the answering side keeps a copy here. Called as {@code deliveryMode}.
 */
@Component("deliveryMode")
public class DeliveryMode {

    public static final String PUSH = "push";
    public static final String PASSIVE = "passive";
    public static final String HYBRID = "hybrid";
    public static final String AUTO = "auto";
    private static final Set<String> MODES = Set.of(PUSH, PASSIVE, HYBRID, AUTO);
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryMode.class);

    private final StringRedisTemplate redis;
    private final Keys keys;
    private final Accounts.PerAccount<Account> accounts;

    /** One account's mode: as configured, and whether auto learnt that it needs passive delivery. */
    private static final class Account {
        private final String configured;
        private final Keys keys;
        private final AtomicBoolean switchReported = new AtomicBoolean();
        private volatile boolean learnedPassive;

        Account(String configured, Keys keys) {
            this.configured = configured;
            this.keys = keys;
        }
    }

    public DeliveryMode(Accounts accounts, StringRedisTemplate redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
        this.accounts = accounts.each(account -> {
            String mode = account.delivery();
            String configured = mode == null || mode.isBlank() ? AUTO : mode.strip().toLowerCase(Locale.ROOT);
            if (!MODES.contains(configured)) {
                throw new IllegalArgumentException((Accounts.DEFAULT.equals(account.name()) ? "chat.delivery.mode "
                        + "(WECHAT_DELIVERY)" : "chat.accounts." + account.name() + ".delivery")
                        + " must be one of push, passive, hybrid, auto; it is '" + mode + "'");
            }
            return new Account(configured, keys.forAccount(account.name()));
        });
    }

    private Account account(String name) {
        return accounts.of(name);
    }

    /**
     * The account's mode in force now: auto resolved to hybrid, or passive once the account turned out to need it.
     */
    public String current(String name) {
        Account account = account(name);
        if (!AUTO.equals(account.configured)) {
            return account.configured;
        }
        return account.learnedPassive ? PASSIVE : HYBRID;
    }

    /** Answers go back inside callback replies (hybrid, passive), not only by customer-service message. */
    public boolean offers(String account) {
        return !PUSH.equals(current(account));
    }

    /** The customer-service API may be used (push, hybrid): the typing indicator too. */
    public boolean pushes(String account) {
        return !PASSIVE.equals(current(account));
    }

    /** auto, and WeChat just said the follower's account has no customer-service API: switch to passive delivery. */
    public boolean switchesOn(Follower follower, Exception refusal) {
        return AUTO.equals(account(follower.account()).configured) && refusal instanceof WechatApiException wechat
                && wechat.isPermissionMissing();
    }

    /** From now on, on every instance, answers go back in callback replies only, in the follower's account. */
    public void switchToPassive(Follower follower) {
        Account account = account(follower.account());
        account.learnedPassive = true;
        redis.opsForValue().set(account.keys.deliveryMode(), PASSIVE);
        redis.convertAndSend(keys.repliesChannel(), "mode");
        if (account.switchReported.compareAndSet(false, true)) {
            LOG.warn("WeChat answered 48001 (api unauthorized): the Official Account {} has no customer-service API "
                    + "(an unverified subscription account, say). Its delivery switches from hybrid to passive for "
                    + "good: answers go back in the reply to the follower's message, within WeChat's three deliveries "
                    + "of it, else with the follower's next message; nothing is pushed. Answers that were waiting for "
                    + "a push wait for the follower's next message. (Kept in Redis as {}; delete that key once the "
                    + "account is verified.)", follower.account(), account.keys.deliveryMode());
        }
    }

    /** Re-reads what each account turned out to need (another instance may have switched, or before a restart). */
    @PostConstruct
    public void refresh() {
        for (Account account : accounts.values()) {
            if (AUTO.equals(account.configured)) {
                try {
                    account.learnedPassive = PASSIVE.equals(redis.opsForValue().get(account.keys.deliveryMode()));
                } catch (RuntimeException redisDown) {
                    // keep what we knew; the next refresh tries again
                }
            }
        }
    }
}
