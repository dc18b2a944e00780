package io.github.oac.chat;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import io.github.oac.config.Accounts;
import io.github.oac.config.ChatProperties;
import io.github.oac.store.DeadLetters;
import io.github.oac.store.QuotaCounts;
import io.github.oac.store.Turn;
import io.github.oac.store.UsageLedger;
import io.github.oac.wechat.Follower;
import io.github.oac.wechat.Openids;

/**
 * Each follower's daily quota (chat.quota.*, or their account's own): questions the model is asked, and tokens it
 * spends on their answers, per calendar day in chat.quota.zone. A question over the quota gets
 * chat.replies.quota-exceeded and no model call; commands and answers owed from earlier messages never count; a turn
 * resumed after a crash counts nothing twice. Today is read from the {@link Clock} bean when there is one (tests set
 * one), else the system's. Called as {@code dailyQuotas}.
 */
@Component("dailyQuotas")
public class DailyQuotas {

    private static final Logger LOG = LoggerFactory.getLogger(DailyQuotas.class);
    /** Kept past the day's end, so that a day's last question still finds its count. */
    private static final Duration KEPT = Duration.ofDays(2);

    private final QuotaCounts counts;
    private final UsageLedger usage;
    private final Duration usageKept;
    private final Accounts accounts;
    private final ZoneId zone;
    private final Clock clock;

    public DailyQuotas(QuotaCounts counts, UsageLedger usage, Accounts accounts, ChatProperties properties,
                       ObjectProvider<Clock> clock) {
        this.counts = counts;
        this.usage = usage;
        this.usageKept = properties.usage() == null || properties.usage().retention() == null ? Duration.ofDays(7)
                : properties.usage().retention();
        this.accounts = accounts;
        ChatProperties.Quota quota = properties.quota();
        this.zone = ZoneId.of(quota == null || quota.zone() == null || quota.zone().isBlank() ? "Asia/Shanghai"
                : quota.zone().strip());
        this.clock = clock.getIfAvailable(Clock::systemUTC);
    }

    /**
     * Whether the turn's question is over its follower's quota for today; otherwise it is counted (once per message)
     * and may go to the model. False at once, without Redis, when the account has no quota.
     */
    public boolean refuses(Turn turn) {
        Accounts.Settings account = accounts.of(turn.follower().account());
        if (account.questionsPerDay() <= 0 && account.tokensPerDay() <= 0) {
            return false;
        }
        boolean asked = counts.take(turn.follower(), today(), turn.msgKey(), Math.max(0, account.questionsPerDay()),
                Math.max(0, account.tokensPerDay()), KEPT);
        if (!asked) {
            LOG.info("Message {} from {} not asked: the follower's quota for today is spent", turn.msgKey(),
                    turn.follower().masked());
        }
        return !asked;
    }

    /**
     * The tokens the model spent on the turn's answer: added to the follower's usage of the day (the console's top
     * followers) and, when their account has a token quota, counted against it. Best effort: a count Redis could not
     * take is logged, not thrown, since the turn would otherwise stop and ask the model again when resumed.
     */
    public void spent(Turn turn, long tokens) {
        if (tokens <= 0) {
            return;
        }
        String day = today();
        try {
            usage.add(turn.follower(), day, tokens, usageKept);
            if (accounts.of(turn.follower().account()).tokensPerDay() > 0) {
                counts.spend(turn.follower(), day, turn.msgKey(), tokens, KEPT);
            }
        } catch (RuntimeException redisDown) {
            LOG.warn("The {} tokens of message {} were not counted for {}: {}", tokens, turn.msgKey(),
                    turn.follower().masked(), redisDown.getMessage());
        }
    }

    /**
     * An operator lifts one follower's quota for today (POST /admin/followers/&lt;openid&gt;/quota, ?account=): what
     * they asked and spent today is forgotten. An unknown account or an OpenID not of WeChat's shape is refused (400).
     */
    public Map<String, Object> lift(String account, String openid) {
        String name = account == null || account.isBlank() ? Accounts.DEFAULT : account.strip();
        if (accounts.get(name) == null) {
            throw new DeadLetters.UnknownAccount();
        }
        if (openid == null || !Openids.isWellFormed(openid)) {
            throw new DeadLetters.BadPage("not a follower's OpenID");
        }
        Follower follower = new Follower(name, openid);
        String day = today();
        long[] before = counts.counted(follower, day);
        counts.lift(follower, day);
        LOG.info("Quota of {} lifted for {} ({} questions, {} tokens forgotten)", follower.masked(), day, before[0],
                before[1]);
        return Map.of("account", name, "day", day, "questions", before[0], "tokens", before[1]);
    }

    /** Today in the quota's zone, as the day's keys name it (yyyyMMdd). */
    public String today() {
        return LocalDate.now(clock.withZone(zone)).format(DateTimeFormatter.BASIC_ISO_DATE);
    }
}
