package io.github.oac.config;

import java.time.Duration;
import java.util.Map;

import org.springframework.util.unit.DataSize;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Every setting of the service, bound from {@code chat.*} (defaults and env-var names live in application.yml).
 * The YAML routes read the same keys as {@code {{chat....}}} placeholders.
 */
@ConfigurationProperties("chat")
public record ChatProperties(
        Wechat wechat,
        Openai openai,
        Redis redis,
        Callback callback,
        Queue queue,
        Redelivery redelivery,
        Replies replies) {

    public record Wechat(String token, String appId, String appSecret, String encodingAesKey,
                         String encodingAesKeyPrevious, String apiBaseUrl, Duration connectTimeout, Duration timeout,
                         Duration tokenRefreshMargin) {
    }

    public record Openai(String apiKey, String baseUrl, String model, double temperature, int maxTokens,
                         int maxQuestionChars, Duration connectTimeout, Duration timeout) {
    }

    /** Empty url: an embedded Redis server is started on a free loopback port. */
    public record Redis(String url, Duration timeout, String keyPrefix) {
    }

    public record Callback(Duration dedupTtl, Duration timestampWindow, DataSize maxBodySize) {
    }

    public record Queue(int size, int consumers) {
    }

    public record Redelivery(Policy openai, Policy wechat) {
    }

    public record Policy(int maximumRedeliveries, long redeliveryDelay, double backoffMultiplier,
                         long maximumRedeliveryDelay) {
    }

    /** What the service says on its own, and the fixed answers to menu clicks (EventKey → text). */
    public record Replies(String apology, String welcome, String voiceUnrecognised, String unsupported,
                          String questionTruncated, int passiveMaxBytes, Map<String, String> click) {

        public Replies {
            click = click == null ? Map.of() : Map.copyOf(click);
        }
    }
}
