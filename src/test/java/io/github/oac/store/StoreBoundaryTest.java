package io.github.oac.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** store/ is Redis access only: it uses the settings and WeChat's message types, never the answering side or ops. */
class StoreBoundaryTest {

    @Test
    void theStoreImportsNothingFromChatOpsOrSandbox() throws IOException {
        try (Stream<Path> sources = Files.list(Path.of("src/main/java/io/github/oac/store"))) {
            List<String> imports = sources.flatMap(file -> {
                try {
                    return Files.readAllLines(file).stream()
                            .filter(line -> line.matches("import (static )?io\\.github\\.oac\\.(chat|ops|sandbox)\\..*"))
                            .map(line -> file.getFileName() + ": " + line);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
            assertThat(imports).isEmpty();
        }
    }
}
