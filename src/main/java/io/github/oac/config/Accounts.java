package io.github.oac.config;

import java.util.List;

import org.springframework.stereotype.Component;

/**
 * The Official Accounts this deployment answers for, by name. The settings of today (chat.wechat.*, WECHAT_TOKEN, ...)
 * are the account {@value #DEFAULT}, at /wechat. Every key a follower has in Redis names their account (store/Keys),
 * so accounts never see each other's followers. Called as {@code accounts}.
 */
@Component("accounts")
public class Accounts {

    /** The account of the single-account settings. */
    public static final String DEFAULT = "default";

    /** Every configured account's name. */
    public List<String> names() {
        return List.of(DEFAULT);
    }
}
