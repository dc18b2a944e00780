package io.github.oac.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

/** LOG_FORMAT and route reload decide their settings before the service starts. */
class LogAndReloadSetupTest {

    @Test
    void logFormatJsonMeansStructuredEcsLinesAndTextMeansThePlainLog() {
        MockEnvironment json = new MockEnvironment().withProperty("LOG_FORMAT", "json");
        new LogFormatSetup().postProcessEnvironment(json, null);
        assertThat(json.getProperty("logging.structured.format.console")).isEqualTo("ecs");

        MockEnvironment logstash = new MockEnvironment().withProperty("LOG_FORMAT", "Logstash");
        new LogFormatSetup().postProcessEnvironment(logstash, null);
        assertThat(logstash.getProperty("logging.structured.format.console")).isEqualTo("logstash");

        MockEnvironment text = new MockEnvironment();
        new LogFormatSetup().postProcessEnvironment(text, null);
        assertThat(text.getProperty("logging.structured.format.console")).isNull();
    }

    @Test
    void reloadWatchesTheFolderOfAFilePatternAndNothingOnTheClasspath() {
        assertThat(RouteReloadSetup.folder("file:/srv/oac/routes/*.camel.yaml")).isEqualTo(Path.of("/srv/oac/routes"));
        assertThat(RouteReloadSetup.folder("file:/srv/oac/routes/")).isEqualTo(Path.of("/srv/oac/routes"));
        assertThat(RouteReloadSetup.folder("file:routes/**/*.camel.yaml"))
                .isEqualTo(Path.of("routes").toAbsolutePath());
        assertThat(RouteReloadSetup.folder("classpath:routes/*.camel.yaml")).isNull();
    }
}
