package io.github.oac.chat;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

/**
 * What the model answered: its text, the tokens it counted for the call in its {@code usage} (0 when the provider does
 * not say), and how long the call took (ms; 0 until the turn notes it). Read from the chat-completion response as it
 * streams past ({@link Completion}): choices[0].message.content and usage, nothing else kept.
 */
@JsonDeserialize(using = ModelAnswer.Completion.class)
public record ModelAnswer(String text, long promptTokens, long completionTokens, long millis) {

    public long tokens() {
        return promptTokens + completionTokens;
    }

    ModelAnswer took(long callMillis) {
        return new ModelAnswer(text, promptTokens, completionTokens, callMillis);
    }

    /**
     * Reads a chat completion: the first choice's message content, without a leading {@code <think>} block (reasoning
     * models), and usage.prompt_tokens / completion_tokens. A response without content is a
     * {@link ModelAnswerException} (not retried): the provider answered, with nothing to say.
     */
    static final class Completion extends JsonDeserializer<ModelAnswer> {

        @Override
        public ModelAnswer deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.currentToken() != JsonToken.START_OBJECT) {
                throw new ModelAnswerException("model response is not a JSON object");
            }
            String text = null;
            long prompt = 0;
            long completion = 0;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("choices".equals(field) && value == JsonToken.START_ARRAY) {
                    text = firstChoiceContent(parser);
                } else if ("usage".equals(field) && value == JsonToken.START_OBJECT) {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String name = parser.currentName();
                        parser.nextToken();
                        if ("prompt_tokens".equals(name)) {
                            prompt = Math.max(0, parser.getValueAsLong(0));
                        } else if ("completion_tokens".equals(name)) {
                            completion = Math.max(0, parser.getValueAsLong(0));
                        } else {
                            parser.skipChildren();
                        }
                    }
                } else {
                    parser.skipChildren();
                }
            }
            text = withoutReasoning(text == null ? "" : text);
            if (text.isBlank()) {
                throw new ModelAnswerException("model response has no choices[0].message.content");
            }
            return new ModelAnswer(text, prompt, completion, 0);
        }

        /** The content of the array's first element's message; the parser ends on the array's end. */
        private static String firstChoiceContent(JsonParser parser) throws IOException {
            String content = null;
            boolean first = true;
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                if (first && parser.currentToken() == JsonToken.START_OBJECT) {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String name = parser.currentName();
                        JsonToken value = parser.nextToken();
                        if ("message".equals(name) && value == JsonToken.START_OBJECT) {
                            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                                String key = parser.currentName();
                                JsonToken inner = parser.nextToken();
                                if ("content".equals(key) && inner == JsonToken.VALUE_STRING) {
                                    content = parser.getText();
                                } else {
                                    parser.skipChildren();
                                }
                            }
                        } else {
                            parser.skipChildren();
                        }
                    }
                } else {
                    parser.skipChildren();
                }
                first = false;
            }
            return content;
        }
    }

    /** Reasoning models (DeepSeek R1, QwQ…) may lead with a <think>…</think> block: the follower sees only the answer. */
    static String withoutReasoning(String text) {
        String answer = text.strip();
        if (answer.startsWith("<think>")) {
            int end = answer.indexOf("</think>");
            answer = end < 0 ? "" : answer.substring(end + "</think>".length()).strip();
        }
        return answer;
    }
}
