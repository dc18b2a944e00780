package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Every script is a file with a header that names its KEYS and ARGV and what it returns, joins with its fragments,
 * and is valid Lua that Redis accepts; no Lua is left in Java source.
 */
class RedisScriptFilesTest extends ScriptTestSupport {

    private static final Pattern KEY_OR_ARGUMENT = Pattern.compile("(KEYS|ARGV)\\[\\d+\\]");
    private static final Path SCRIPTS = Path.of("src/main/resources/redis");

    @Test
    void everyScriptHasAHeaderNamingItsKeysArgumentsAndAnswer() throws IOException {
        List<Path> files = scripts();
        assertThat(files).hasSizeGreaterThanOrEqualTo(19);
        for (Path file : files) {
            List<String> header = Files.readAllLines(file).stream().takeWhile(line -> line.startsWith("--")).toList();
            String text = String.join("\n", header);
            assertThat(header).as(file.toString()).isNotEmpty();
            assertThat(header.get(0)).as(file + ": names itself first").startsWith("-- " + name(file) + " (");
            assertThat(text).as(file + ": names its keys").contains("KEYS[");
            assertThat(text).as(file + ": says what it returns").contains("Returns");
            String body = Files.readString(file).substring(text.length());
            Matcher used = KEY_OR_ARGUMENT.matcher(body);
            while (used.find()) {
                assertThat(text).as(file + ": names " + used.group()).contains(used.group());
            }
        }
    }

    @Test
    void everyScriptJoinsWithItsFragmentsAndRedisAcceptsIt() throws IOException {
        for (Path file : scripts()) {
            String source = Script.source(name(file));
            assertThat(source).as(file.toString()).doesNotContain("--! include");
            String sha = redis.scriptLoad(source);
            assertThat(sha).as(file.toString()).hasSize(40);
        }
    }

    @Test
    void aFragmentIsJoinedOnceEvenWhenTwoIncludesNameIt() {
        String offer = Script.source("offer");
        assertThat(offer.split("local function own\\(", -1)).hasSize(2);
        assertThat(offer.split("local function now_ms\\(", -1)).hasSize(2);
    }

    @Test
    void noLuaIsLeftInJavaSource() throws IOException {
        try (Stream<Path> sources = Files.walk(Path.of("src/main/java"))) {
            List<Path> withLua = sources.filter(path -> path.toString().endsWith(".java")).filter(path -> {
                try {
                    return Files.readString(path).contains("redis.call(");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
            assertThat(withLua).isEmpty();
        }
    }

    private static List<Path> scripts() throws IOException {
        try (Stream<Path> files = Files.list(SCRIPTS)) {
            return files.filter(path -> path.toString().endsWith(".lua")).sorted().toList();
        }
    }

    private static String name(Path file) {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - ".lua".length());
    }
}
