package io.github.oac.wechat;

import java.util.Set;

/**
 * WeChat answered with a non-zero errcode (or a non-2xx status). The message carries only the code and WeChat's
 * errmsg, never the request URL, so no access token reaches a log.
 */
public class WechatApiException extends RuntimeException {

    /** System busy and the per-minute quota: the only failures a later attempt can fix. */
    private static final Set<Integer> RETRYABLE = Set.of(-1, 45011);
    static final Set<Integer> TOKEN_REJECTED = Set.of(40001, 40014, 42001);

    private final int errcode;
    private final int httpStatus;

    public WechatApiException(int errcode, String errmsg, int httpStatus) {
        super("WeChat API errcode " + errcode + (errmsg == null ? "" : " (" + errmsg + ")")
                + (httpStatus == 200 ? "" : ", HTTP " + httpStatus), null, false, false);
        this.errcode = errcode;
        this.httpStatus = httpStatus;
    }

    public int getErrcode() {
        return errcode;
    }

    public int getHttpStatus() {
        return httpStatus;
    }

    /** Worth another attempt: errcode -1 / 45011, or a 5xx / 429 from WeChat's edge. */
    public boolean isRetryable() {
        return RETRYABLE.contains(errcode) || httpStatus >= 500 || httpStatus == 429;
    }
}
