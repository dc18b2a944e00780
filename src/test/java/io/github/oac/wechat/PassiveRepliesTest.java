package io.github.oac.wechat;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;

class PassiveRepliesTest {

    @Test
    void cdataTerminatorsInContentSurviveAsText() throws Exception {
        PassiveReplies replies = new PassiveReplies(null, 2048, java.time.Clock.systemUTC());

        String xml = replies.textXml("o]]>user", "gh", 1, "a]]>b]]]]>c");

        JsonNode reply = new XmlMapper().readTree(xml);
        assertThat(reply.path("Content").asText()).isEqualTo("a]]>b]]]]>c");
        assertThat(reply.path("ToUserName").asText()).isEqualTo("o]]>user");
    }

    @Test
    void cutsOnCodePointsNeverInsideAnEmojiOrCjkCharacter() {
        String emoji = "😀"; // 4 bytes, a surrogate pair
        assertThat(PassiveReplies.fitBytes("ab" + emoji, 5)).isEqualTo("ab");
        assertThat(PassiveReplies.fitBytes("ab" + emoji, 6)).isEqualTo("ab" + emoji);
        assertThat(PassiveReplies.fitBytes("中文字", 8)).isEqualTo("中文");
        String long2049 = "x".repeat(2047) + "é"; // 2049 bytes
        assertThat(PassiveReplies.fitBytes(long2049, 2048).getBytes(StandardCharsets.UTF_8)).hasSize(2047);
    }

    @Test
    void dropsCharactersXmlCannotCarry() {
        assertThat(PassiveReplies.xmlChars("a\u0000b\u0008c\td\uD800e😀")).isEqualTo("abc\tde😀");
    }
}
