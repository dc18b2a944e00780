package io.github.oac.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
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
     * callbacks. baseUrl and apiKey: the model provider its questions go to. Holds secrets (the token, the AppSecret,
     * the EncodingAESKey, the API key): never logged.
     */
    public record Settings(String name, String path, String token, String appId, String appSecret,
                           String encodingAesKey, String encodingAesKeyPrevious, String delivery, String systemPrompt,
                           String model, String welcome, int rateLimit, String aiLabel, String aiLabelPosition,
                           String wordsFile, String baseUrl, String apiKey, int questionsPerDay, int tokensPerDay) {

        @Override
        public String toString() {
            return "account " + name + " at " + path; // never its secrets
        }
    }

    private final Map<String, Settings> byName;

    /** The default account only (tests that build the store's beans by hand). */
    public Accounts() {
        this.byName = Map.of(DEFAULT, new Settings(DEFAULT, "/wechat", "", "", "", "", "", "", "", "", "", 0, "", "end",
                "", "", "", 0, 0));
    }

    @org.springframework.beans.factory.annotation.Autowired
    public Accounts(ChatProperties properties) {
        ChatProperties.Wechat wechat = properties.wechat();
        ChatProperties.Openai openai = properties.openai();
        ChatProperties.Replies replies = properties.replies();
        Settings base = new Settings(DEFAULT, "/wechat", wechat.token(), wechat.appId(), wechat.appSecret(),
                or(wechat.encodingAesKey(), ""), or(wechat.encodingAesKeyPrevious(), ""),
                properties.delivery() == null ? null : properties.delivery().mode(), openai.systemPrompt(),
                openai.model(), replies == null ? null : replies.welcome(),
                properties.rateLimit() == null ? 0 : properties.rateLimit().perMinute(),
                replies == null ? "" : or(replies.aiLabel(), "").strip(),
                replies == null ? "end" : or(replies.aiLabelPosition(), "end").strip(),
                properties.moderation() == null ? "" : or(properties.moderation().wordsFile(), "").strip(),
                or(openai.baseUrl(), "").strip(), or(openai.apiKey(), ""),
                properties.quota() == null ? 0 : properties.quota().questionsPerDay(),
                properties.quota() == null ? 0 : properties.quota().tokensPerDay());
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
            String baseUrl = or(account.baseUrl(), base.baseUrl()).strip();
            if (!or(account.baseUrl(), "").isBlank() && !baseUrl.matches("https?://[^\\s/?#]+[^\\s?#]*")) {
                throw new MissingSettingException(env(name, "BASE_URL"), setting + ".base-url",
                        "must be an http:// or https:// URL without a query (/chat/completions is appended)");
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
                    account.rateLimit() != null ? account.rateLimit() : base.rateLimit(),
                    or(account.aiLabel(), base.aiLabel()).strip(),
                    or(account.aiLabelPosition(), base.aiLabelPosition()).strip(),
                    or(account.wordsFile(), base.wordsFile()).strip(),
                    baseUrl,
                    // another provider: its own key, or none; the same provider: the default key unless its own
                    baseUrl.equals(base.baseUrl()) ? or(account.apiKey(), base.apiKey()) : or(account.apiKey(), ""),
                    account.questionsPerDay() != null ? account.questionsPerDay() : base.questionsPerDay(),
                    account.tokensPerDay() != null ? account.tokensPerDay() : base.tokensPerDay()));
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

    /** One value per account, made from its settings now (a bean's per-account part: its key, its mode, ...). */
    public <T> PerAccount<T> each(Function<Settings, T> make) {
        Map<String, T> values = new LinkedHashMap<>();
        byName.forEach((name, settings) -> values.put(name, make.apply(settings)));
        return new PerAccount<>(values);
    }

    /** Values by account name, looked up as {@link #of} looks up settings. */
    public static final class PerAccount<T> {

        private final Map<String, T> byName;

        private PerAccount(Map<String, T> byName) {
            this.byName = Collections.unmodifiableMap(byName);
        }

        /** The value of the account so named (null: the default account), or null when no account has the name. */
        public T find(String name) {
            return byName.get(name == null ? DEFAULT : name);
        }

        /** The same, but an unknown name is a mistake: IllegalArgumentException. */
        public T of(String name) {
            T value = find(name);
            if (value == null) {
                throw new IllegalArgumentException("no account named " + name);
            }
            return value;
        }

        /** Every account's, the default account's first. */
        public java.util.Collection<T> values() {
            return byName.values();
        }
    }
}
