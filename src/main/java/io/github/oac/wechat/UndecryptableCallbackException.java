package io.github.oac.wechat;

/** An encrypted callback that cannot be opened (broken base64, bad padding, another AppID): answered 400. */
public class UndecryptableCallbackException extends RuntimeException {

    public UndecryptableCallbackException(String reason) {
        super(reason, null, false, false);
    }
}
