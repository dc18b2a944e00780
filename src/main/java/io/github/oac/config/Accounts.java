package io.github.oac.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.springframework.stereotype.Component;

/**
 * The Official Accounts this deployment answers for, by name: the settings of today (chat.wechat.*, WECHAT_TOKEN, ...)
 * are the account {@value #DEFAULT}, at /wechat; chat.accounts.<name> adds one at /wechat/<name>, whose settings left
 * empty are the default account's. Every key a follower has in Redis names their account (store/Keys), so accounts
 * never see each other's followers. Checked at start-up: a bad or reserved name, a missing token, AppID or AppSecret,
 * or an AppID two accounts share stops the service with one line naming the setting. Called as {@code accounts}.
 */
@Component("accounts")
public class Accounts {

    /** The account of the single-account settings. */
    public static final String DEFAULT = "default";
    /** Names that can be spelled in an env var (CHAT_ACCOUNTS_SHOP_TOKEN) and in a URL path as they are. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]{1,32}");

    /**
     * One account's settings: its own, or the default account's where it set none. path: where WeChat sends its
     * callbacks. Holds secrets (the token, the AppSecret, the EncodingAESKey): never logged.
     */
    public record Settings(String name, String path, String token, String appId, String appSecret,
                           String encodingAesKey, String encodingAesKeyPrevious, String delivery, String systemPrompt,
                           String model, String welcome, int rateLimit) {

        @Override
        public String toString() {
            return "account " + name + " at " + path; // never its secrets
        }
    }

    private final Map<String, Settings> byName;

    /** The default account only (tests that build the store's beans by hand). */
    public Accounts() {
        this.byName = Map.of(DEFAULT, new Settings(DEFAULT, "/wechat", "", "", "", "", "", "", "", "", "", 0));
    }

    @org.springframework.beans.factory.annotation.Autowired
    public Accounts(ChatProperties properties) {
        ChatProperties.Wechat wechat = properties.wechat();
        ChatProperties.Openai openai = properties.openai();
        Settings base = new Settings(DEFAULT, "/wechat", wechat.token(), wechat.appId(), wechat.appSecret(),
                or(wechat.encodingAesKey(), ""), or(wechat.encodingAesKeyPrevious(), ""),
                properties.delivery() == null ? null : properties.delivery().mode(), openai.systemPrompt(),
                openai.model(), properties.replies() == null ? null : properties.replies().welcome(),
                properties.rateLimit() == null ? 0 : properties.rateLimit().perMinute());
        Map<String, Settings> accounts = new LinkedHashMap<>();
        accounts.put(DEFAULT, base);
        Map<String, String> appIds = new LinkedHashMap<>();
        if (base.appId() != null && !base.appId().isBlank()) {
            appIds.put(base.appId().strip(), DEFAULT);
        }
        properties.accounts().forEach((name, account) -> {
            String setting = "chat.accounts." + name;
            if (!NAME.matcher(name).matches() || DEFAULT.equals(name)) {
                throw new MissingSettingException(env(name, ""), setting, "an account's name is 1 to 32 lower-case "
                        + "letters and digits, and not \"default\" (the chat.wechat.* settings are that account)");
            }
            String token = required(account == null ? null : account.token(), name, "token");
            String appId = required(account.appId(), name, "app-id");
            String appSecret = required(account.appSecret(), name, "app-secret");
            for (String key : new String[] {account.encodingAesKey(), account.encodingAesKeyPrevious()}) {
                if (key != null && !key.isBlank() && !key.strip().matches("[A-Za-z0-9]{43}")) {
                    throw new MissingSettingException(env(name, "ENCODING_AES_KEY"), setting + ".encoding-aes-key",
                            "must be the 43-character EncodingAESKey from the WeChat console");
                }
            }
            String other = appIds.putIfAbsent(appId, name);
            if (other != null) {
                throw new MissingSettingException(env(name, "APP_ID"), setting + ".app-id",
                        "the account \"" + other + "\" has the same AppID: one Official Account, one name");
            }
            accounts.put(name, new Settings(name, "/wechat/" + name, token, appId, appSecret,
                    or(account.encodingAesKey(), "").strip(), or(account.encodingAesKeyPrevious(), "").strip(),
                    or(account.delivery(), base.delivery()), or(account.systemPrompt(), base.systemPrompt()),
                    or(account.model(), base.model()), or(account.welcome(), base.welcome()),
                    account.rateLimit() != null ? account.rateLimit() : base.rateLimit()));
        });
        this.byName = Collections.unmodifiableMap(accounts);
    }

    private static String required(String value, String name, String setting) {
        if (value == null || value.isBlank()) {
            throw new MissingSettingException(env(name, setting.replace('-', '_').toUpperCase()),
                    "chat.accounts." + name + "." + setting);
        }
        return value.strip();
    }

    private static String env(String name, String setting) {
        return "CHAT_ACCOUNTS_" + name.toUpperCase() + (setting.isEmpty() ? "" : "_" + setting);
    }

    private static String or(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }

    /** Every configured account's name, the default one first. */
    public List<String> names() {
        return new ArrayList<>(byName.keySet());
    }

    /** The account's settings, or null when no account has that name. */
    public Settings get(String name) {
        return byName.get(name);
    }

    /** The account's settings; the default account's for null (a caller from before accounts, or a test). */
    public Settings of(String name) {
        Settings settings = byName.get(name == null ? DEFAULT : name);
        if (settings == null) {
            throw new IllegalArgumentException("no account named " + name);
        }
        return settings;
    }
}
