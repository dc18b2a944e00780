package io.github.oac.wechat;

import org.springframework.stereotype.Component;

/**
 * A follower's openid as logs show it: the first four and last four characters, enough to follow one follower
 * through the log, not enough to address them; and its shape. Called as {@code openids} (routes log with it too).
 */
@Component("openids")
public class Openids {

    /** WeChat's OpenIDs: 28 letters, digits, '-' and '_' (a little room either way). */
    private static final java.util.regex.Pattern SHAPE = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** Whether this is an OpenID of WeChat's shape: nothing in it can change a Redis key's hash tag or kind. */
    public static boolean isWellFormed(String openid) {
        return openid != null && SHAPE.matcher(openid).matches();
    }

    public static String masked(String openid) {
        if (openid == null) {
            return "-";
        }
        return openid.length() <= 8 ? "…" : openid.substring(0, 4) + "…" + openid.substring(openid.length() - 4);
    }

    /** For the routes: {@code ${bean:openids?method=mask(${variable:follower})}}: the account, the masked OpenID. */
    public String mask(Follower follower) {
        return follower == null ? "-" : follower.masked();
    }
}
