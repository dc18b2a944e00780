package io.github.oac.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;

/**
 * A stop must wait for what the service needs to stop well: the web server's drain plus Camel's shutdown timeout.
 * Docker's default (10 s) does not, so every documented way to run the container must say how long to wait.
 */
class ShutdownBudgetTest {

    @Test
    void everyDocumentedStopWaitsLongerThanTheServiceNeedsToStop() throws IOException {
        PropertySource<?> yml = new YamlPropertySourceLoader()
                .load("application", new FileSystemResource("src/main/resources/application.yml")).get(0);
        long camel = Long.parseLong(yml.getProperty("camel.main.shutdown-timeout").toString().trim());
        long drain = DurationStyle.detectAndParse(yml.getProperty("spring.lifecycle.timeout-per-shutdown-phase")
                .toString()).toSeconds();
        long needed = camel + drain;

        List<Long> documented = new ArrayList<>();
        documented.addAll(seconds(Path.of("README.md"), "--stop-timeout[ =](\\d+)"));
        documented.addAll(seconds(Path.of("docs/operating.md"), "--stop-timeout[ =](\\d+)"));
        documented.addAll(seconds(Path.of("Dockerfile"), "--stop-timeout[ =](\\d+)"));
        try (Stream<Path> files = Files.exists(Path.of("deploy")) ? Files.walk(Path.of("deploy")) : Stream.empty()) {
            for (Path file : files.filter(f -> f.toString().matches(".*compose.*\\.ya?ml")).toList()) {
                documented.addAll(seconds(file, "stop_grace_period:\\s*(\\d+)s"));
            }
        }

        assertThat(documented).as("stop timeouts in README.md, docs/operating.md, Dockerfile and deploy/").hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(seconds -> assertThat(seconds).isGreaterThan(needed));
    }

    private static List<Long> seconds(Path file, String regex) throws IOException {
        List<Long> found = new ArrayList<>();
        Matcher matcher = Pattern.compile(regex).matcher(Files.readString(file));
        while (matcher.find()) {
            found.add(Long.parseLong(matcher.group(1)));
        }
        return found;
    }
}
