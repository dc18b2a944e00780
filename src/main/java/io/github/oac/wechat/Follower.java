package io.github.oac.wechat;

/**
 * One follower of one Official Account: the account's configured name and the follower's OpenID, which WeChat makes
 * unique within an account only. What the answering side is woken for, and what every Redis key of the follower is
 * named after (the hash tag {@code {<account>:<openid>}}, store/Keys).
 */
public record Follower(String account, String openid) {

    /** As logs show a follower: the account and the masked OpenID. */
    public String masked() {
        return account + "/" + Openids.masked(openid);
    }
}
