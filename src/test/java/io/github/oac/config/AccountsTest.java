package io.github.oac.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * chat.accounts as an operator writes it (bound as Spring Boot binds it, env-var spelling included): each account
 * named at /wechat/<name> with its own token and AppID, the rest the default account's; a bad or reserved name, a
 * missing secret or an AppID two accounts share stops start-up with one line naming the setting.
 */
class AccountsTest {

    private static Accounts accounts(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of(
                "chat.wechat.token", "hometoken", "chat.wechat.app-id", "wxhome", "chat.wechat.app-secret", "s",
                "chat.openai.model", "home-model", "chat.openai.system-prompt", "home prompt"));
        all.putAll(settings);
        return new Accounts(new Binder(new MapConfigurationPropertySource(all)).bind("chat", ChatProperties.class)
                .get());
    }

    @Test
    void anAccountHasItsOwnPathTokenAndAppIdAndTheDefaultAccountsPromptAndModelUnlessItSetsThem() {
        Accounts accounts = accounts(Map.of("chat.accounts.shop.token", "shoptoken",
                "chat.accounts.shop.app-id", "wxshop", "chat.accounts.shop.app-secret", "shop-secret",
                "chat.accounts.city2.token", "t2", "chat.accounts.city2.app-id", "wxcity2",
                "chat.accounts.city2.app-secret", "s2", "chat.accounts.city2.model", "city-model"));

        assertThat(accounts.names()).containsExactlyInAnyOrder("default", "city2", "shop").first()
                .isEqualTo("default");
        Accounts.Settings shop = accounts.of("shop");
        assertThat(shop.path()).isEqualTo("/wechat/shop");
        assertThat(shop.token()).isEqualTo("shoptoken");
        assertThat(shop.appId()).isEqualTo("wxshop");
        assertThat(shop.model()).isEqualTo("home-model");
        assertThat(shop.systemPrompt()).isEqualTo("home prompt");
        assertThat(accounts.of("city2").model()).isEqualTo("city-model");
        assertThat(accounts.of("default").path()).isEqualTo("/wechat");
        assertThat(accounts.get("nope")).isNull();
        assertThat(shop.toString()).doesNotContain("shop-secret").doesNotContain("shoptoken");
    }

    @Test
    void anAccountsOwnProviderLabelAndWordListReplaceTheDefaultAccountsAndAnotherProviderGetsNoDefaultKey() {
        Accounts accounts = accounts(Map.of("chat.openai.base-url", "https://api.openai.com/v1",
                "chat.openai.api-key", "sk-home", "chat.replies.ai-label", "home label",
                "chat.moderation.words-file", "/home-words.txt",
                "chat.accounts.shop.token", "t", "chat.accounts.shop.app-id", "wxshop",
                "chat.accounts.shop.app-secret", "s", "chat.accounts.shop.base-url", "https://dashscope.example/v1",
                "chat.accounts.shop.ai-label", "shop label", "chat.accounts.shop.words-file", "/shop-words.txt"));
        Accounts.Settings shop = accounts.of("shop");
        assertThat(shop.baseUrl()).isEqualTo("https://dashscope.example/v1");
        assertThat(shop.apiKey()).as("another provider: the default key is not sent there").isEmpty();
        assertThat(shop.aiLabel()).isEqualTo("shop label");
        assertThat(shop.wordsFile()).isEqualTo("/shop-words.txt");
        assertThat(shop.aiLabelPosition()).isEqualTo("end");

        Accounts same = accounts(Map.of("chat.openai.base-url", "https://api.openai.com/v1",
                "chat.openai.api-key", "sk-home", "chat.replies.ai-label", "home label",
                "chat.accounts.shop.token", "t", "chat.accounts.shop.app-id", "wxshop",
                "chat.accounts.shop.app-secret", "s", "chat.accounts.shop.api-key", "sk-shop"));
        assertThat(same.of("shop").baseUrl()).isEqualTo("https://api.openai.com/v1");
        assertThat(same.of("shop").apiKey()).isEqualTo("sk-shop");
        assertThat(same.of("shop").aiLabel()).isEqualTo("home label");
        assertThat(same.of("shop").toString()).doesNotContain("sk-shop");
    }

    @Test
    void aBadOrReservedNameAMissingSecretOrASharedAppIdIsOneLineNamingTheSetting() {
        assertThatThrownBy(() -> accounts(Map.of("chat.accounts.default.token", "t",
                "chat.accounts.default.app-id", "wx2", "chat.accounts.default.app-secret", "s")))
                .isInstanceOf(MissingSettingException.class).hasMessageContaining("chat.accounts.default");
        assertThatThrownBy(() -> accounts(Map.of("chat.accounts.my_shop.token", "t",
                "chat.accounts.my_shop.app-id", "wx2", "chat.accounts.my_shop.app-secret", "s")))
                .isInstanceOf(MissingSettingException.class).hasMessageContaining("lower-case letters and digits");
        assertThatThrownBy(() -> accounts(Map.of("chat.accounts.shop.token", "t",
                "chat.accounts.shop.app-id", "wx2")))
                .isInstanceOf(MissingSettingException.class)
                .hasMessageContaining("CHAT_ACCOUNTS_SHOP_APP_SECRET")
                .hasMessageContaining("chat.accounts.shop.app-secret");
        assertThatThrownBy(() -> accounts(Map.of("chat.accounts.shop.token", "t",
                "chat.accounts.shop.app-id", "wxhome", "chat.accounts.shop.app-secret", "s")))
                .isInstanceOf(MissingSettingException.class).hasMessageContaining("\"default\" has the same AppID");
        assertThatThrownBy(() -> accounts(Map.of("chat.accounts.shop.token", "t",
                "chat.accounts.shop.app-id", "wx2", "chat.accounts.shop.app-secret", "s",
                "chat.accounts.shop.encoding-aes-key", "too-short")))
                .isInstanceOf(MissingSettingException.class).hasMessageContaining("43-character");
        assertThatThrownBy(() -> accounts(Map.of("chat.accounts.shop.token", "t",
                "chat.accounts.shop.app-id", "wx2", "chat.accounts.shop.app-secret", "s",
                "chat.accounts.shop.base-url", "dashscope.example/v1?x=1")))
                .isInstanceOf(MissingSettingException.class).hasMessageContaining("chat.accounts.shop.base-url");
    }
}
