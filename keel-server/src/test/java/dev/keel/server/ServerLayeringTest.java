package dev.keel.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** keel-server uses only keel-core's public API: no source file names {@code dev.keel.internal}. */
class ServerLayeringTest {

    @Test
    void noServerSourceUsesTheEngineInternals() throws IOException {
        Path sources = Path.of("src/main/java/dev/keel/server");
        assertTrue(Files.isDirectory(sources), "run from the keel-server module: " + sources.toAbsolutePath());
        List<String> offenders;
        try (Stream<Path> files = Files.walk(sources)) {
            offenders = files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
                try {
                    return Files.readString(f).contains("dev.keel.internal");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(Path::toString).toList();
        }
        assertEquals(List.of(), offenders, "keel-server must use only dev.keel.* public API");
    }
}
