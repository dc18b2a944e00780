package io.github.oac.config;

import java.util.Locale;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * LOG_FORMAT=json writes the console log as JSON lines (Spring Boot's structured logging, Elastic Common Schema);
 * ecs, logstash and gelf choose that format by name; anything else (the default: text) leaves the plain log. Decided
 * before the logging system starts.
 */
class LogFormatSetup implements EnvironmentPostProcessor, Ordered {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String format = environment.getProperty("LOG_FORMAT", "text").strip().toLowerCase(Locale.ROOT);
        String structured = switch (format) {
            case "json", "ecs" -> "ecs";
            case "logstash", "gelf" -> format;
            default -> null;
        };
        if (structured != null) {
            environment.getPropertySources().addFirst(new MapPropertySource("chat-log-format",
                    Map.of("logging.structured.format.console", structured)));
        }
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 1;
    }
}
