package io.github.oac.config;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Refuses to start without the settings nothing works without, before any server or route starts, so the operator
 * sees one line naming the missing env var rather than a stack trace or a 401 at the first message.
 */
class RequiredSettings implements EnvironmentPostProcessor, Ordered {

    private static final Map<String, String> REQUIRED = new LinkedHashMap<>();

    static {
        REQUIRED.put("chat.wechat.token", "WECHAT_TOKEN");
        REQUIRED.put("chat.wechat.app-id", "WECHAT_APP_ID");
        REQUIRED.put("chat.wechat.app-secret", "WECHAT_APP_SECRET");
        REQUIRED.put("chat.openai.api-key", "OPENAI_API_KEY");
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        REQUIRED.forEach((property, envName) -> {
            String value = environment.getProperty(property);
            if (value == null || value.isBlank()) {
                throw new MissingSettingException(envName, property);
            }
        });
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE; // after application.yml and every other source is in place
    }
}
