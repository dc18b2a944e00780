package io.github.oac.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * application.yml is the one source of every setting's default and meaning; the table in docs/configuration.md is
 * generated from it, never kept by hand. This test fails when the two differ, and with
 * {@code -Doac.docs.settings=true} writes the table instead.
 */
class ConfigurationReferenceTest {

    private static final Path SETTINGS = Path.of("src/main/resources/application.yml");
    private static final Path PAGE = Path.of("docs/configuration.md");
    private static final String BEGIN = "<!-- settings:begin -->";
    private static final String END = "<!-- settings:end -->";
    /** Decided at start-up or derived from another setting: not for an operator to set. */
    private static final Set<String> INTERNAL = Set.of("chat.sandbox.active", "chat.sandbox.demo-model",
            "chat.sandbox.exposed", "chat.sandbox.console-token", "chat.sandbox.self-url", "camel.main.name",
            "camel.component.seda.queue-size", "spring.application.name", "spring.main.banner-mode",
            "spring.autoconfigure.exclude", "management.endpoints.web.exposure.include",
            "management.endpoint.health.show-details", "management.endpoint.health.show-components",
            "logging.level.org.apache.coyote.http11.Http11Processor", "server.shutdown");
    private static final Pattern KEY = Pattern.compile("^( *)([A-Za-z0-9_.-]+):(?: (.*))?$");
    private static final Pattern PLACEHOLDER = Pattern.compile("^\\$\\{([A-Z][A-Z0-9_]*):(.*)}$");

    record Setting(String property, String env, String defaultValue, String meaning) {
    }

    @Test
    void theSettingsTableIsGeneratedFromApplicationYml() throws IOException {
        String page = Files.readString(PAGE, StandardCharsets.UTF_8);
        int begin = page.indexOf(BEGIN);
        int end = page.indexOf(END);
        assertThat(begin).as("docs/configuration.md has the settings markers").isGreaterThanOrEqualTo(0);
        assertThat(end).isGreaterThan(begin);
        String table = table(settings(Files.readAllLines(SETTINGS, StandardCharsets.UTF_8)));
        String generated = page.substring(0, begin + BEGIN.length()) + "\n" + table + page.substring(end);
        if (Boolean.getBoolean("oac.docs.settings")) {
            Files.writeString(PAGE, generated, StandardCharsets.UTF_8);
            page = generated;
        }
        assertThat(page).as("docs/configuration.md's table is out of date: run mvn -B verify -Doac.docs.settings=true")
                .isEqualTo(generated);
    }

    @Test
    void everySettingOfTheServiceSaysWhatItDoes() throws IOException {
        List<Setting> settings = settings(Files.readAllLines(SETTINGS, StandardCharsets.UTF_8));
        assertThat(settings).extracting(Setting::property).contains("chat.wechat.token", "chat.delivery.mode",
                "chat.redelivery.openai.maximum-redeliveries", "server.port", "management.server.port");
        assertThat(settings).filteredOn(setting -> setting.meaning().isBlank())
                .as("settings in application.yml without a comment saying what they do").isEmpty();
    }

    static List<Setting> settings(List<String> lines) {
        List<Setting> settings = new ArrayList<>();
        List<String> path = new ArrayList<>();
        List<Integer> indents = new ArrayList<>();
        StringBuilder above = new StringBuilder();
        int lastCommentColumn = -1;
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                above.setLength(0);
                lastCommentColumn = -1;
                continue;
            }
            if (trimmed.startsWith("#")) {
                int column = line.indexOf('#');
                String text = trimmed.substring(1).strip();
                if (column == lastCommentColumn && !settings.isEmpty()) {
                    // a comment continued under the one beside the previous setting
                    Setting last = settings.remove(settings.size() - 1);
                    settings.add(new Setting(last.property(), last.env(), last.defaultValue(),
                            last.meaning() + " " + text));
                } else {
                    above.append(above.isEmpty() ? "" : " ").append(text);
                    lastCommentColumn = -1;
                }
                continue;
            }
            Matcher key = KEY.matcher(line);
            if (!key.matches()) {
                continue;
            }
            int indent = key.group(1).length();
            while (!indents.isEmpty() && indents.get(indents.size() - 1) >= indent) {
                indents.remove(indents.size() - 1);
                path.remove(path.size() - 1);
            }
            String rest = key.group(3) == null ? "" : key.group(3);
            int hash = commentStart(rest);
            String value = (hash < 0 ? rest : rest.substring(0, hash)).strip();
            String beside = hash < 0 ? "" : rest.substring(hash + 1).strip();
            lastCommentColumn = hash < 0 ? -1 : indent + key.group(2).length() + 2 + hash;
            if (value.isEmpty()) {
                // a section: a comment above it describes the section, not its first setting
                indents.add(indent);
                path.add(key.group(2));
                above.setLength(0);
                continue;
            }
            String property = String.join(".", path) + (path.isEmpty() ? "" : ".") + key.group(2);
            String meaning = (above + (above.isEmpty() || beside.isEmpty() ? "" : " ") + beside).strip();
            above.setLength(0);
            if (INTERNAL.contains(property)) {
                lastCommentColumn = -1;
                continue;
            }
            settings.add(setting(property, value, meaning));
        }
        return settings;
    }

    private static Setting setting(String property, String value, String meaning) {
        String relaxed = property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
        if (value.equals("{}")) {
            return new Setting(property + ".<name>", relaxed + "_<NAME>", "none", meaning);
        }
        Matcher placeholder = PLACEHOLDER.matcher(value);
        String env = placeholder.matches() ? placeholder.group(1) : relaxed;
        String given = placeholder.matches() ? placeholder.group(2) : value;
        if (given.length() >= 2 && given.startsWith("\"") && given.endsWith("\"")) {
            given = given.substring(1, given.length() - 1);
        }
        return new Setting(property, env, given, meaning);
    }

    /** Where a YAML comment starts in a value: a # after a space, outside quotes. */
    private static int commentStart(String rest) {
        boolean quoted = false;
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '#' && !quoted && (i == 0 || rest.charAt(i - 1) == ' ')) {
                return i;
            }
        }
        return -1;
    }

    static String table(List<Setting> settings) {
        StringBuilder table = new StringBuilder("| Property | Env var | Default | Meaning |\n|---|---|---|---|\n");
        for (Setting setting : settings) {
            table.append("| `").append(setting.property()).append("` | `").append(setting.env()).append("` | ")
                    .append(setting.defaultValue().isEmpty() ? "empty" : "`" + cell(setting.defaultValue()) + "`")
                    .append(" | ").append(cell(setting.meaning())).append(" |\n");
        }
        return table.toString();
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
