package io.github.oac.sandbox;

import org.springframework.stereotype.Component;

import io.github.oac.config.ChatProperties;

/**
 * What the sandbox page says about itself: which model answers (the demo model is labelled as such), whether
 * callbacks are encrypted, the menu keys with a reply. Nothing secret: no token, key or URL. Called as
 * {@code sandboxInfo}.
 */
@Component("sandboxInfo")
public class SandboxInfo {

    public record Info(boolean demoModel, String model, boolean encrypted, boolean exposed,
                       java.util.List<String> menuKeys) {
    }

    private final Info info;

    public SandboxInfo(ChatProperties properties) {
        String key = properties.wechat().encodingAesKey();
        this.info = new Info(properties.sandbox().demoModel(),
                properties.sandbox().demoModel() ? "demo" : properties.openai().model(),
                key != null && !key.isBlank(), properties.sandbox().exposed(),
                properties.replies().click().keySet().stream().sorted().toList());
    }

    public Info info() {
        return info;
    }
}
