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
    /** This message's quota used (45047) or the 48-hour window closed (45015): the rest can wait for 继续. */
    private static final Set<Integer> KEEP_REST = Set.of(45047, 45015);
    private static final int NO_PERMISSION = 48001;

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

    /** A quota or window refusal: stop this answer, keep what was not sent for the continue command. */
    public boolean keepsRestForLater() {
        return KEEP_REST.contains(errcode);
    }

    /** The account has no customer-service permission (unverified): nothing can be delivered at all. */
    public boolean isPermissionMissing() {
        return errcode == NO_PERMISSION;
    }
}
