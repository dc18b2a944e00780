package io.github.oac.wechat;

/** A callback body that is not a WeChat message as WeChat sends them: answered 400. */
public class MalformedCallbackException extends RuntimeException {

    public MalformedCallbackException(String reason) {
        super(reason, null, false, false);
    }
}
