package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** A plaintext callback's signed request is good once (spend-signature.lua). */
class SpendSignatureScriptTest extends ScriptTestSupport {

    private static String spend(String digest) {
        return (String) run("spend-signature", List.of("t:replay:sig1"), digest, "600");
    }

    @Test
    void theFirstUseIsRecordedWithTheBodysDigest() {
        assertThat(spend("digest1")).isEqualTo("first");
        assertThat(redis.get("t:replay:sig1")).isEqualTo("digest1");
        assertThat(redis.ttl("t:replay:sig1")).isBetween(1L, 600L);
    }

    @Test
    void theSameBodyAgainIsARedelivery() {
        spend("digest1");
        assertThat(spend("digest1")).isEqualTo("again");
    }

    @Test
    void anotherBodyUnderTheSameSignatureIsAReplayAndLocksTheRequest() {
        spend("digest1");
        assertThat(spend("digest2")).isEqualTo("replay");
        assertThat(redis.get("t:replay:sig1")).isEqualTo("locked");
        assertThat(redis.ttl("t:replay:sig1")).as("kept its time to live").isBetween(1L, 600L);
        assertThat(spend("digest1")).as("even the first body, once locked").isEqualTo("replay");
    }
}
