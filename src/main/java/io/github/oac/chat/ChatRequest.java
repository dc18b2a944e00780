package io.github.oac.chat;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Body of POST {base}/chat/completions, as every OpenAI-compatible server reads it. provider: which one it goes to
 * (chat/ModelProviders; the route model-&lt;provider&gt;), not sent.
 */
public record ChatRequest(String model, List<ChatMessage> messages, double temperature,
                          @JsonProperty("max_tokens") int maxTokens,
                          @com.fasterxml.jackson.annotation.JsonIgnore String provider) {

    /**
     * One message. content: a text, or (a question with a photo) a list of content parts, text and image_url. What
     * the conversation memory keeps is always text.
     */
    public record ChatMessage(String role, Object content) {

        /** The text of this message (its text parts, when it has parts). */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public String text() {
            if (content instanceof List<?> parts) {
                StringBuilder text = new StringBuilder();
                for (Object part : parts) {
                    if (part instanceof TextPart t) {
                        text.append(t.text());
                    }
                }
                return text.toString();
            }
            return content == null ? "" : content.toString();
        }
    }

    /** {"type":"text","text":…} */
    public record TextPart(String type, String text) {
        public TextPart(String text) {
            this("text", text);
        }
    }

    /** {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,…"}} */
    public record ImagePart(String type, @JsonProperty("image_url") ImageUrl imageUrl) {
        public ImagePart(String url) {
            this("image_url", new ImageUrl(url));
        }

        @Override
        public String toString() {
            return "ImagePart[image_url]"; // never the bytes
        }
    }

    public record ImageUrl(String url) {
        @Override
        public String toString() {
            return "ImageUrl[" + Math.min(url.length(), 40) + " of " + url.length() + " chars]";
        }
    }
}
