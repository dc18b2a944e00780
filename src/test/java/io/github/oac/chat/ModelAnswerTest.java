package io.github.oac.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The chat completion read as it streams past: the first choice's content and the usage, nothing else. */
class ModelAnswerTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void theFirstChoicesContentAndTheUsageAreRead() throws Exception {
        ModelAnswer answer = json.readValue("""
                {"id":"x","object":"chat.completion","choices":[
                  {"index":0,"message":{"role":"assistant","content":"你好","tool_calls":[{"a":{"b":[1,2]}}]},
                   "finish_reason":"stop"},
                  {"index":1,"message":{"role":"assistant","content":"second"}}],
                 "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"details":{"cached":1}},
                 "system_fingerprint":null}""", ModelAnswer.class);

        assertThat(answer.text()).isEqualTo("你好");
        assertThat(answer.promptTokens()).isEqualTo(12);
        assertThat(answer.completionTokens()).isEqualTo(3);
    }

    @Test
    void aReasoningBlockIsDroppedAndMissingUsageCountsZero() throws Exception {
        ModelAnswer answer = json.readValue("""
                {"choices":[{"message":{"content":"<think>\\nhmm\\n</think>\\n\\n答案是 42。"}}]}""", ModelAnswer.class);

        assertThat(answer.text()).isEqualTo("答案是 42。");
        assertThat(answer.tokens()).isZero();
    }

    @Test
    void aResponseWithoutContentIsAModelAnswerExceptionAndNotJsonAJacksonOne() {
        assertThatThrownBy(() -> json.readValue("{\"choices\":[]}", ModelAnswer.class))
                .isInstanceOf(ModelAnswerException.class);
        assertThatThrownBy(() -> json.readValue("{\"choices\":[{\"message\":{\"content\":null}}]}", ModelAnswer.class))
                .isInstanceOf(ModelAnswerException.class);
        assertThatThrownBy(() -> json.readValue("[1]", ModelAnswer.class)).isInstanceOf(ModelAnswerException.class);
        assertThatThrownBy(() -> json.readValue("<html>bad gateway</html>", ModelAnswer.class))
                .isInstanceOf(JacksonException.class);
    }
}
