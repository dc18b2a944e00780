package io.github.oac.wechat;

/**
 * A follower's photo cannot go to the model: it is larger than chat.vision.max-bytes, it is no image of a type models
 * read (JPEG, PNG, GIF, WebP, told by its bytes), or neither its PicUrl nor WeChat's media API gave it. The follower
 * is told which, politely; no model call is made.
 */
public class PhotoUnreadableException extends Exception {

    public enum Reason { TOO_LARGE, NOT_AN_IMAGE, UNAVAILABLE }

    private final Reason reason;

    public PhotoUnreadableException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
