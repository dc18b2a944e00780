package io.github.oac.wechat;

import java.io.IOException;

/**
 * Fetching the access token failed on the way (a timeout, a reset connection): no message was sent with it, so the
 * send is retried. Carries only the failure's message, never the request (it holds the AppSecret).
 */
public class AccessTokenUnavailableException extends IOException {

    public AccessTokenUnavailableException(String message) {
        super("access token not fetched: " + message);
    }
}
