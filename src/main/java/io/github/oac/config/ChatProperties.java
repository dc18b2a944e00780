package io.github.oac.config;

import java.time.Duration;

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

    public record Wechat(String token, String appId, String appSecret, String apiBaseUrl,
                         Duration connectTimeout, Duration timeout, Duration tokenRefreshMargin) {
    }

    public record Openai(String apiKey, String baseUrl, String model, double temperature, int maxTokens,
                         Duration connectTimeout, Duration timeout) {
    }

    /** Empty url: an embedded Redis server is started on a free loopback port. */
    public record Redis(String url, Duration timeout, String keyPrefix) {
    }

    public record Callback(Duration dedupTtl) {
    }

    public record Queue(int size, int consumers) {
    }

    public record Redelivery(Policy openai, Policy wechat) {
    }

    public record Policy(int maximumRedeliveries, long redeliveryDelay, double backoffMultiplier,
                         long maximumRedeliveryDelay) {
    }

    public record Replies(String apology) {
    }
}
