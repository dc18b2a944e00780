package io.github.oac.wechat;

import java.time.Clock;
import java.time.Duration;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * A signed callback is good only near the time it was signed (and only once: Admission records each signed request
 * in Redis). In plaintext mode the signature does not cover the body, so without both a captured URL could carry any
 * body for ever. Called as {@code replayGuard}.
 */
@Component("replayGuard")
public class ReplayGuard {

    private final Duration window;
    private final Clock clock;

    @Autowired
    public ReplayGuard(ChatProperties properties) {
        this(properties.callback().timestampWindow(), Clock.systemUTC());
    }

    ReplayGuard(Duration window, Clock clock) {
        this.window = window;
        this.clock = clock;
    }

    /** Throws {@link StaleCallbackException} unless timestamp is within the window of now, either side. */
    public void requireFresh(String timestamp) {
        long seconds;
        try {
            seconds = Long.parseLong(timestamp == null ? "" : timestamp.trim());
        } catch (NumberFormatException e) {
            throw new StaleCallbackException();
        }
        if (Math.abs(clock.instant().getEpochSecond() - seconds) > window.toSeconds()) {
            throw new StaleCallbackException();
        }
    }

}
