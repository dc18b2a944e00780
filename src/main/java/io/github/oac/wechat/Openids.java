package io.github.oac.wechat;

import org.springframework.stereotype.Component;

/**
 * A follower's openid as logs show it: the first four and last four characters, enough to follow one follower
 * through the log, not enough to address them. Called as {@code openids} (routes log with it too).
 */
@Component("openids")
public class Openids {

    public static String masked(String openid) {
        if (openid == null) {
            return "-";
        }
        return openid.length() <= 8 ? "…" : openid.substring(0, 4) + "…" + openid.substring(openid.length() - 4);
    }

    /** For the routes: {@code ${bean:openids?method=mask(${variable.openid})}}. */
    public String mask(String openid) {
        return masked(openid);
    }
}
