package io.github.oac.sandbox;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * What the sandbox page says about itself: which model answers (the demo model is labelled as such), whether
 * callbacks are encrypted, the menu keys with a reply, the accounts its followers can write to. Nothing secret: no token, key or URL; the console's token only
 * on its own request, and only when this run made it. Called as {@code sandboxInfo}.
 */
@ConditionalOnProperty(name = "chat.sandbox.active", havingValue = "true")
@Component("sandboxInfo")
public class SandboxInfo {

    public record Info(boolean demoModel, String model, boolean encrypted, boolean exposed,
                       java.util.List<String> menuKeys, java.util.List<String> accounts) {
    }

    private final Info info;
    private final String consoleToken;

    public SandboxInfo(ChatProperties properties, io.github.oac.config.Accounts accounts) {
        this.consoleToken = properties.sandbox().consoleToken() && !properties.sandbox().exposed()
                ? properties.admin().token() : null;
        String key = properties.wechat().encodingAesKey();
        this.info = new Info(properties.sandbox().demoModel(),
                properties.sandbox().demoModel() ? "demo" : properties.openai().model(),
                key != null && !key.isBlank(), properties.sandbox().exposed(),
                properties.replies().click().keySet().stream().sorted().toList(), accounts.names());
    }

    public Info info() {
        return info;
    }

    /**
     * The admin token this sandbox run made itself, for the operator console opened from the sandbox page: on
     * loopback, where the sandbox page is as trusted as the console. Null when the operator set ADMIN_TOKEN, or the
     * sandbox listens beyond loopback: the console then asks for it.
     */
    public java.util.Map<String, String> consoleToken() {
        return consoleToken == null ? null : java.util.Map.of("token", consoleToken);
    }
}
