package io.github.oac.ops;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import io.github.oac.store.DeadLetters;
import io.github.oac.store.Outbox;

/**
 * What happened to callbacks and answers, as Micrometer counters under /actuator/metrics: oac.callbacks (tag
 * outcome: accepted, duplicate, retry, pickup, replay, full, limited, busy, ignored, replied, acknowledged),
 * oac.deliveries (tag path: how answers reached followers: passive, pickup, placeholder, push), oac.dead.letters (tag
 * reason) and oac.dead.letters.purged (outlived their retention); each with the tag account (a configured account's
 * name). Called as {@code metrics}.
 */
@Component("metrics")
public class Metrics {

    /** The tag naming the account an event belongs to: bounded by the configured accounts. */
    public static final String ACCOUNT = "account";

    private final MeterRegistry registry;

    public Metrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Counts a callback by what became of it ("new" ones by whether they got a passive reply), and times it from its
     * arrival to its answer, as the timer oac.callback.duration (tag outcome, with a histogram for Prometheus; held
     * for passive deliveries held past WeChat's 5 s on purpose).
     */
    public void callback(String account, String admission, Outbox.Handout handout, String replyText, long arrivedAt) {
        String outcome = !"new".equals(admission) ? admission : replyText != null ? "replied" : "acknowledged";
        registry.counter("oac.callbacks", "outcome", outcome, ACCOUNT, named(account)).increment();
        Timer.builder("oac.callback.duration")
                .description("Time from a callback's arrival to its answer, by outcome (held: passive delivery let "
                        + "WeChat's 5 s pass on purpose, so that it sends the message again)")
                .tag("outcome", handout != null && Outbox.Handout.HOLD.equals(handout.path()) ? "held" : outcome)
                .tag(ACCOUNT, named(account))
                .publishPercentileHistogram()
                .register(registry)
                .record(Math.max(0, System.currentTimeMillis() - arrivedAt), TimeUnit.MILLISECONDS);
    }

    /**
     * What a callback's reply carried: passive (the answer to its own message), pickup (an answer owed from an earlier
     * message), placeholder (the last delivery got the placeholder). Its push and hold decisions are not deliveries.
     * With when the answered message's callback arrived (0: unknown), timed as oac.answer.duration.
     */
    public void delivered(String account, Outbox.Handout handout) {
        if (handout != null && !Outbox.Handout.PUSH.equals(handout.path())
                && !Outbox.Handout.HOLD.equals(handout.path()) && !Outbox.Handout.REPEAT.equals(handout.path())
                && !Outbox.Handout.LATE.equals(handout.path())) {
            delivered(account, handout.path(), handout.receivedAt());
        }
    }

    /** An owed answer picked up by a later message's admission. */
    public void pickedUp(String account, long receivedAt) {
        delivered(account, Outbox.Handout.PICKUP, receivedAt);
    }

    /** Counted where the push happens: the first part WeChat accepted. */
    public void pushed(String account, long receivedAt) {
        delivered(account, Outbox.Handout.PUSH, receivedAt);
    }

    /**
     * Counts an answer reaching its follower by path (oac.deliveries) and times it from the question's callback
     * (oac.answer.duration, with a histogram), unless that time is unknown (0) or the path is the placeholder.
     */
    private void delivered(String account, String path, long receivedAt) {
        registry.counter("oac.deliveries", "path", path, ACCOUNT, named(account)).increment();
        if (receivedAt > 0 && !Outbox.Handout.PLACEHOLDER.equals(path)) {
            Timer.builder("oac.answer.duration")
                    .description("Time from a question's callback to its answer reaching the follower, by path")
                    .tag("path", path)
                    .tag(ACCOUNT, named(account))
                    .publishPercentileHistogram()
                    .register(registry)
                    .record(Math.max(0, System.currentTimeMillis() - receivedAt), TimeUnit.MILLISECONDS);
        }
    }

    /** A message became a dead letter (the store announces it): counted by kind of reason. */
    @EventListener
    public void deadLetter(DeadLetters.Recorded letter) {
        String reason = letter.reason();
        registry.counter("oac.dead.letters", "reason", reason.contains("errcode") ? "wechat-refused"
                : reason.startsWith("older") ? "expired" : reason.startsWith("moderated") ? "moderated" : "failed",
                ACCOUNT, named(letter.account())).increment();
    }

    /** Dead letters deleted because they outlived chat.dead-letters.retention. */
    @EventListener
    public void deadLettersPurged(DeadLetters.Purged purge) {
        registry.counter("oac.dead.letters.purged", ACCOUNT, named(purge.account())).increment(purge.count());
    }

    /** The account's name as a tag value: the default account's for none (a meter's tag cannot be null). */
    public static String named(String account) {
        return account == null ? io.github.oac.config.Accounts.DEFAULT : account;
    }
}
