package io.github.oac.wechat;

/** A callback whose signature does not verify: answered 403, never processed. */
public class ForgedCallbackException extends RuntimeException {

    public ForgedCallbackException() {
        this("callback signature does not verify");
    }

    protected ForgedCallbackException(String reason) {
        super(reason, null, false, false);
    }
}
