package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The cached access token with its remaining life (token.lua). */
class TokenScriptTest extends ScriptTestSupport {

    @Test
    void noTokenCachedIsAnEmptyAnswer() {
        assertThat(runForList("token", List.of("t:token:app"))).isEmpty();
    }

    @Test
    void aCachedTokenComesWithTheMillisecondsItHasLeft() {
        redis.psetex("t:token:app", 7_000_000, "ACCESS");
        List<Object> answer = runForList("token", List.of("t:token:app"));
        assertThat(answer.get(0)).isEqualTo("ACCESS");
        assertThat(Long.parseLong((String) answer.get(1))).isBetween(6_000_000L, 7_000_000L);
    }
}
