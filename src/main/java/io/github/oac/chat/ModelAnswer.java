package io.github.oac.chat;

/**
 * What the model answered: its text, and the tokens it counted for the call in its {@code usage} (0 when the provider
 * does not say).
 */
public record ModelAnswer(String text, long promptTokens, long completionTokens) {

    public long tokens() {
        return promptTokens + completionTokens;
    }
}
