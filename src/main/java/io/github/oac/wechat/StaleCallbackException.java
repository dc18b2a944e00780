package io.github.oac.wechat;

/** A callback whose timestamp is outside the accepted window: refused with 403 like a forged one. */
public class StaleCallbackException extends ForgedCallbackException {

    public StaleCallbackException() {
        super("callback timestamp is outside the accepted window");
    }
}
