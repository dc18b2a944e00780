package io.github.oac.chat;

import io.github.oac.store.Turn;

/**
 * A text the word list let through and the moderation service must see (routes/moderation.camel.yaml): the stage
 * (question or answer), the text, its turn, and what goes on when it passes (the ChatRequest for the model, or the
 * model's Reply).
 */
public record ModerationCheck(String stage, String text, Turn turn, Object passing) {
}
