package io.github.oac;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Daily quotas per follower, through the real routes, with a clock the test moves: two questions a day in the default
 * account (a question beyond gets the quota reply and no model call; commands never count; the next day in
 * Asia/Shanghai the follower is answered again; an operator can lift the quota), and 150 tokens a day in the account
 * "metered" (its own setting replacing the default account's: the question that crosses the line is answered, the
 * next one is not).
 */
@TestPropertySource(properties = {
        "chat.quota.questions-per-day=2",
        "chat.quota.zone=Asia/Shanghai",
        "chat.accounts.metered.token=" + QuotaTest.METERED_TOKEN,
        "chat.accounts.metered.app-id=wxmetered00000001",
        "chat.accounts.metered.app-secret=metered-secret-never-logged",
        "chat.accounts.metered.questions-per-day=0",
        "chat.accounts.metered.tokens-per-day=150",
        "chat.rate-limit.per-minute=0",
})
class QuotaTest extends RouteTestSupport {

    static final String METERED_TOKEN = "meteredtoken";
    /** 23:30 on 8 December in Shanghai. */
    private static final Instant LATE_EVENING = Instant.parse("2026-12-08T15:30:00Z");
    private static final Duration QUIET = Duration.ofSeconds(15);

    /** The quota's clock, moved by the tests. */
    static final class MovableClock extends Clock {
        private volatile Instant now = LATE_EVENING;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return Clock.fixed(now, zone);
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @TestConfiguration
    static class Clocks {
        @Bean
        MovableClock quotaClock() {
            return new MovableClock();
        }
    }

    @Autowired
    MovableClock clock;
    @Value("${chat.replies.quota-exceeded}")
    String quotaExceeded;
    @Value("${chat.replies.reset-done}")
    String resetDone;

    @BeforeEach
    void lateEvening() {
        clock.now = LATE_EVENING;
    }

    @Test
    void aQuestionBeyondTheDailyQuotaGetsTheQuotaReplyWithoutAModelCallAndTheNextDayIsAnswered() {
        String openid = newOpenid();
        stubModelAnswer("answered");
        for (String question : new String[] {"one", "two", "重置", "three"}) {
            postCallback(textMessage(openid, newMsgId(), question));
            awaitQuiet(QUIET);
        }
        String other = newOpenid();
        postCallback(textMessage(other, newMsgId(), "another follower's first"));
        awaitQuiet(QUIET);

        assertThat(textsSentTo(openid)).as("a command does not count").containsExactly("answered", "answered",
                resetDone, quotaExceeded);
        assertThat(modelCallsAsking("three")).as("no model call beyond the quota").isEmpty();
        assertThat(textsSentTo(other)).containsExactly("answered");

        clock.now = LATE_EVENING.plus(Duration.ofMinutes(31)); // 00:01 on 9 December in Shanghai
        postCallback(textMessage(openid, newMsgId(), "four"));
        awaitQuiet(QUIET);
        assertThat(textsSentTo(openid)).last().isEqualTo("answered");
        assertThat(modelCallsAsking("four")).hasSize(1);
    }

    @Test
    void anAccountsOwnTokenQuotaLetsTheQuestionThatCrossesTheLineBeAnsweredAndRefusesTheNext() {
        String openid = newOpenid();
        stubs.stubFor(post(urlPathEqualTo(COMPLETIONS)).willReturn(okJson("{\"choices\":[{\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"metered\"}}],\"usage\":{\"prompt_tokens\":80,\"completion_tokens\":20}}")));
        for (String question : new String[] {"one", "two", "three", "four"}) {
            postTo("metered", METERED_TOKEN, textMessage(openid, newMsgId(), question));
            awaitQuiet(QUIET);
        }

        assertThat(textsSentTo(openid)).as("100 tokens, then 200: no question limit of its own")
                .containsExactly("metered", "metered", quotaExceeded, quotaExceeded);
        assertThat(modelCallsAsking("three")).isEmpty();
    }

    @Test
    void anOperatorLiftsOneFollowersQuotaForTheDay() throws Exception {
        String openid = newOpenid();
        stubModelAnswer("answered");
        for (String question : new String[] {"one", "two", "three"}) {
            postCallback(textMessage(openid, newMsgId(), question));
            awaitQuiet(QUIET);
        }
        assertThat(textsSentTo(openid)).last().isEqualTo(quotaExceeded);

        ResponseEntity<String> lifted = admin("/admin/followers/" + openid + "/quota");
        assertThat(lifted.getStatusCode()).isEqualTo(HttpStatus.OK);
        JsonNode forgotten = json.readTree(lifted.getBody());
        assertThat(forgotten.path("questions").asLong()).isEqualTo(2);
        assertThat(forgotten.path("day").asText()).isEqualTo("20261208");
        postCallback(textMessage(openid, newMsgId(), "after the lift"));
        awaitQuiet(QUIET);
        assertThat(textsSentTo(openid)).last().isEqualTo("answered");

        assertThat(admin("/admin/followers/not%20an%20openid/quota").getStatusCode())
                .isEqualTo(HttpStatus.BAD_REQUEST);
        ResponseEntity<String> unknown = admin("/admin/followers/" + openid + "/quota?account=nope");
        assertThat(unknown.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(unknown.getBody()).doesNotContain("nope");
    }

    private ResponseEntity<String> admin(String path) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(ADMIN_TOKEN);
        return http.postForEntity(path, new HttpEntity<>(headers), String.class);
    }
}
