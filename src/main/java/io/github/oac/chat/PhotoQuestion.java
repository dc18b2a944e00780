package io.github.oac.chat;

import io.github.oac.store.Turn;
import io.github.oac.wechat.InboundMessage;

/**
 * A turn that asks the model about a photo (routes/photo.camel.yaml reads it): the follower's photo itself, or the
 * text question that goes with their latest one (chat.vision.keep). photo: the image message (PicUrl, MediaId); text:
 * what the model is asked with it.
 */
public record PhotoQuestion(Turn turn, InboundMessage photo, String text) {
}
