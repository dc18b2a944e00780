package io.github.oac.config;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

import io.github.oac.store.RedisAddress;

/**
 * Refuses to start without the settings nothing works without, before any server or route starts, so the operator
 * sees one line naming the missing env var rather than a stack trace or a 401 at the first message.
 */
class RequiredSettings implements EnvironmentPostProcessor, Ordered {

    private static final Map<String, String> REQUIRED = new LinkedHashMap<>();

    private static final Map<String, String> AES_KEYS = Map.of(
            "chat.wechat.encoding-aes-key", "WECHAT_ENCODING_AES_KEY",
            "chat.wechat.encoding-aes-key-previous", "WECHAT_ENCODING_AES_KEY_PREVIOUS");

    private static final Map<String, String> REDIS_URLS = Map.of(
            "chat.redis.url", "REDIS_URL",
            "spring.data.redis.url", "SPRING_DATA_REDIS_URL");

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
        REDIS_URLS.forEach((property, envName) -> {
            String value = environment.getProperty(property, "");
            if (!value.isBlank()) {
                try {
                    RedisAddress.parse(value);
                } catch (IllegalArgumentException unreadable) {
                    // the message masks the credentials; nothing else of the URL is repeated anywhere
                    throw new MissingSettingException(envName, property, unreadable.getMessage());
                }
            }
        });
        AES_KEYS.forEach((property, envName) -> {
            String value = environment.getProperty(property, "").trim();
            if (!value.isEmpty() && !value.matches("[A-Za-z0-9]{43}")) {
                throw new MissingSettingException(envName, property,
                        "must be the 43-character EncodingAESKey from the WeChat console");
            }
        });
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE; // after application.yml and every other source is in place
    }
}
