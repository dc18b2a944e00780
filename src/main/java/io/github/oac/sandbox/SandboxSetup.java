package io.github.oac.sandbox;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import io.github.oac.config.MissingSettingException;

/**
 * Decides at start-up whether the service runs in sandbox mode, and if so points it at itself: WeChat's API is the
 * in-process stand-in under /sandbox/api, and without a model configured the demo model under /sandbox/demo-model
 * answers. Runs before RequiredSettings, so a newcomer with no settings at all gets a running service, while a
 * partial WeChat configuration (some of the three settings, no SANDBOX=true) still fails naming what is missing.
 *
 * <p>The base URLs follow the real listening port ({@code ${local.server.port}}, known once the web server has
 * started, before Camel starts its routes), so a random port in tests works too.
 */
class SandboxSetup implements EnvironmentPostProcessor, Ordered {

    static final String DEFAULT_MODEL_URL = "https://api.openai.com/v1";
    static final String ROUTES = "classpath:sandbox/*.camel.yaml";
    static final String SANDBOX_APP_ID = "wxsandbox00000000";
    /** The sandbox's second, made-up Official Account, at /wechat/shop: the page switches between the two. */
    static final String SHOP = "shop";
    static final String SHOP_APP_ID = "wxsandboxshop0000";
    static final String SHOP_PROMPT = "你是「小店」的店员，只回答与本店商品有关的问题，语气亲切。";
    static final String SHOP_WELCOME = "欢迎光临小店！这是沙盒里的第二个公众号：它有自己的 Token、AppID、系统提示词和模型。";
    private static final List<String> WECHAT = List.of("chat.wechat.token", "chat.wechat.app-id",
            "chat.wechat.app-secret");
    static final String HELP = "直接发文字给我提问。试试：long（长回答，再回复「继续」）、retry（模型重试一次）、重置（忘记对话）。";
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        boolean switchedOn = "true".equalsIgnoreCase(environment.getProperty("chat.sandbox.enabled", "false").trim());
        boolean noWechat = WECHAT.stream().allMatch(property -> blank(environment.getProperty(property)));
        if (!switchedOn && !noWechat) {
            return;
        }
        Map<String, Object> settings = new HashMap<>();
        settings.put("chat.sandbox.active", "true");
        // the sandbox's own routes, beside the service's (which CHAT_ROUTES may replace); never loaded otherwise
        settings.put("camel.main.routes-include-pattern", environment.getProperty("camel.main.routes-include-pattern",
                "classpath:routes/*.camel.yaml") + "," + ROUTES);
        // Settings that were given are used (a token and an EncodingAESKey to try safe mode); the rest is made up.
        // The token and secret never leave the process: the sandbox signs callbacks server-side.
        putIfBlank(environment, settings, "chat.wechat.token", secret());
        putIfBlank(environment, settings, "chat.wechat.app-id", SANDBOX_APP_ID);
        putIfBlank(environment, settings, "chat.wechat.app-secret", secret());
        boolean ownAccounts = environment.getPropertySources().stream()
                .filter(source -> source instanceof org.springframework.core.env.EnumerablePropertySource<?>)
                .flatMap(source -> java.util.Arrays.stream(
                        ((org.springframework.core.env.EnumerablePropertySource<?>) source).getPropertyNames()))
                .anyMatch(name -> name.startsWith("chat.accounts.") || name.startsWith("CHAT_ACCOUNTS_"));
        if (!ownAccounts) {
            // a second account, so that the page shows two side by side, each answered its own way
            settings.put("chat.accounts." + SHOP + ".token", secret());
            settings.put("chat.accounts." + SHOP + ".app-id", SHOP_APP_ID);
            settings.put("chat.accounts." + SHOP + ".app-secret", secret());
            settings.put("chat.accounts." + SHOP + ".system-prompt", SHOP_PROMPT);
            settings.put("chat.accounts." + SHOP + ".welcome", SHOP_WELCOME);
            settings.put("chat.accounts." + SHOP + ".ai-label", "（本回复由小店的 AI 生成）");
        }

        // A sandbox with a real key spends its owner's money: loopback only, unless the operator chose an address.
        String address = environment.getProperty("server.address");
        boolean exposed = !blank(address);
        if (exposed && blank(environment.getProperty("chat.admin.token"))) {
            throw new MissingSettingException("ADMIN_TOKEN", "chat.admin.token",
                    "the sandbox needs it when it listens on server.address " + address.strip()
                            + " rather than loopback only");
        }
        if (!exposed) {
            settings.put("server.address", "127.0.0.1");
            if (blank(environment.getProperty("chat.admin.token"))) {
                // the operator console, linked from the sandbox page, needs one: made for this run, handed to the
                // console page on loopback only (GET /sandbox/console-token)
                settings.put("chat.admin.token", secret());
                settings.put("chat.sandbox.console-token", "true");
            }
        }
        settings.put("chat.sandbox.exposed", Boolean.toString(exposed));
        String self = "http://" + selfHost(address) + ":${local.server.port}";
        settings.put("chat.sandbox.self-url", self);
        // never real WeChat: the followers here are made up, and so is the token
        settings.put("chat.wechat.api-base-url", self + "/sandbox/api");

        boolean noKey = blank(environment.getProperty("chat.openai.api-key"));
        boolean defaultServer = DEFAULT_MODEL_URL.equals(environment.getProperty("chat.openai.base-url", "").strip());
        if (noKey && defaultServer) {
            settings.put("chat.sandbox.demo-model", "true");
            settings.put("chat.openai.base-url", self + "/sandbox/demo-model/v1");
            settings.put("chat.openai.api-key", "demo"); // not a secret: the demo model ignores it
            settings.put("chat.openai.model", "demo");
            if (!ownAccounts) {
                settings.put("chat.accounts." + SHOP + ".model", "demo-shop");
            }
        } else if (noKey) {
            settings.put("chat.openai.api-key", "unused"); // a local server (Ollama, vLLM) needs none
        }
        // a menu button with a reply to try, unless the operator configured their own
        if (blank(environment.getProperty("chat.replies.click.HELP"))) {
            settings.put("chat.replies.click.HELP", HELP);
        }
        environment.getPropertySources().addFirst(new MapPropertySource("chat-sandbox", settings));
    }

    /** Where the service reaches itself: loopback, unless it listens on one specific other address only. */
    static String selfHost(String address) {
        if (blank(address)) {
            return "127.0.0.1";
        }
        String host = address.strip();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            return "127.0.0.1";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static void putIfBlank(ConfigurableEnvironment environment, Map<String, Object> settings,
                                   String property, String value) {
        if (blank(environment.getProperty(property))) {
            settings.put(property, value);
        }
    }

    private static String secret() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 2; // after application.yml, before ThreadingSetup and RequiredSettings
    }
}
