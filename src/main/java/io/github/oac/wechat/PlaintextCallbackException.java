package io.github.oac.wechat;

/** A plaintext callback while an EncodingAESKey is configured: a downgrade that would skip msg_signature. 403. */
public class PlaintextCallbackException extends ForgedCallbackException {

    public PlaintextCallbackException() {
        super("plaintext callback while an EncodingAESKey is configured");
    }
}
