package io.github.oac.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RetryAfterTest {

    @Test
    void readsDeltaSecondsInAnyHeaderCase() {
        assertThat(RetryAfter.delayMillis(Map.of("retry-after", "2"))).isEqualTo(2000L);
        assertThat(RetryAfter.delayMillis(Map.of("Retry-After", " 0.5 "))).isEqualTo(500L);
    }

    @Test
    void readsAnHttpDate() {
        String inTenSeconds = ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10)
                .format(DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(RetryAfter.delayMillis(Map.of("Retry-After", inTenSeconds))).isBetween(8000L, 10000L);
    }

    @Test
    void ignoresMissingOrUnreadableValues() {
        assertThat(RetryAfter.delayMillis(null)).isNull();
        assertThat(RetryAfter.delayMillis(Map.of())).isNull();
        assertThat(RetryAfter.delayMillis(Map.of("Retry-After", "soon"))).isNull();
    }
}
