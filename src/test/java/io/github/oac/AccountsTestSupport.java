package io.github.oac;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * The tests of several Official Accounts share one service (one Spring context) with four accounts beside the
 * default one: "shop" (its own token, AppID, prompt, model and welcome), "city" (auto delivery, one question a
 * minute), "mall" (a model provider of its own, with its own key, an AI label at the start and a word list) and
 * "desk" (nothing of its own but its secrets: the console's account picker counts its callbacks alone).
 */
@TestPropertySource(properties = {
        "chat.accounts.shop.token=" + AccountsTestSupport.SHOP_TOKEN,
        "chat.accounts.shop.app-id=" + AccountsTestSupport.SHOP_APP_ID,
        "chat.accounts.shop.app-secret=shop-secret-never-logged",
        "chat.accounts.shop.system-prompt=" + AccountsTestSupport.SHOP_PROMPT,
        "chat.accounts.shop.model=shop-model",
        "chat.accounts.shop.welcome=欢迎光临小店",
        "chat.accounts.city.token=citytoken",
        "chat.accounts.city.app-id=wxcity0000000001",
        "chat.accounts.city.app-secret=city-secret-never-logged",
        "chat.accounts.city.delivery=auto",
        "chat.accounts.city.rate-limit=1",
        "chat.accounts.mall.token=" + AccountsTestSupport.MALL_TOKEN,
        "chat.accounts.mall.app-id=wxmall0000000002",
        "chat.accounts.mall.app-secret=mall-secret-never-logged",
        "chat.accounts.mall.api-key=" + AccountsTestSupport.MALL_KEY,
        "chat.accounts.mall.model=mall-model",
        "chat.accounts.mall.ai-label=" + AccountsTestSupport.MALL_LABEL,
        "chat.accounts.mall.ai-label-position=start",
        "chat.accounts.desk.token=" + AccountsTestSupport.DESK_TOKEN,
        "chat.accounts.desk.app-id=wxdesk0000000003",
        "chat.accounts.desk.app-secret=desk-secret-never-logged",
        "chat.rate-limit.per-minute=0",
        // a breaker that opens after four calls, half of them failed, for AccountProvidersTest's outage
        "chat.breaker.window=4", "chat.breaker.minimum-calls=4", "chat.breaker.failure-rate=50",
        "chat.breaker.open-duration=60s", "chat.breaker.trial-calls=1",
        "chat.redelivery.openai.maximum-redeliveries=1",
})
abstract class AccountsTestSupport extends RouteTestSupport {

    static final String SHOP_TOKEN = "shoptoken";
    static final String SHOP_APP_ID = "wxshop0000000001";
    static final String SHOP_PROMPT = "You are the shop's assistant.";
    static final String MALL_TOKEN = "malltoken";
    static final String MALL_KEY = "sk-mall-key-never-logged";
    static final String MALL_LABEL = "【商场AI生成】";
    static final String MALL_COMPLETIONS = "/mallai/v1/chat/completions";
    static final String DESK_TOKEN = "desktoken";
    static final Path MALL_WORDS = words("商场禁词\n");

    @DynamicPropertySource
    static void mallProvider(DynamicPropertyRegistry registry) {
        registry.add("chat.accounts.mall.base-url", () -> stubs.baseUrl() + "/mallai/v1");
        registry.add("chat.accounts.mall.words-file", MALL_WORDS::toString);
    }

    private static Path words(String lines) {
        try {
            Path file = Files.createTempFile("mall-words", ".txt");
            Files.writeString(file, lines, StandardCharsets.UTF_8);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
