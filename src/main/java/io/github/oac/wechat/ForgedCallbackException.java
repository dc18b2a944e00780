package io.github.oac.wechat;

/** A callback whose signature does not verify: answered 403, never processed. */
public class ForgedCallbackException extends RuntimeException {

    public ForgedCallbackException() {
        super("callback signature does not verify", null, false, false);
    }
}
