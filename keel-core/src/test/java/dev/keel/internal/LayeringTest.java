package dev.keel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * STYLE.md layering: a package uses only the packages below it, and only the storage seam touches
 * files. Checked by scanning the sources' imports and fully qualified references.
 */
class LayeringTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/keel");
    /** Package to the internal packages it may use (besides itself, the public API types and util). */
    private static final Map<String, List<String>> ALLOWED = Map.ofEntries(
            Map.entry("util", List.of()),
            Map.entry("io", List.of()),
            Map.entry("codec", List.of()),
            Map.entry("entity", List.of("codec")),
            Map.entry("index", List.of("codec", "entity")),
            Map.entry("store", List.of("entity")),
            Map.entry("wal", List.of("codec", "io")),
            Map.entry("checkpoint", List.of("codec", "entity", "io", "store")),
            Map.entry("recovery", List.of("checkpoint", "codec", "entity", "io", "store", "wal")),
            Map.entry("tx", List.of("codec", "entity", "store")),
            Map.entry("engine", List.of("checkpoint", "codec", "entity", "io", "recovery", "store", "tx", "wal")));
    private static final Pattern INTERNAL_REF = Pattern.compile("dev\\.keel\\.internal\\.(\\w+)");
    private static final Pattern FILE_ACCESS = Pattern.compile(
            "\\bFileChannel\\b|\\bRandomAccessFile\\b|\\bFiles\\.(newByteChannel|write|delete|move|createFile)|\\.force\\(");

    @Test
    void internalPackagesUseOnlyLowerLayers() throws IOException {
        List<String> problems = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES.resolve("internal"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = SOURCES.resolve("internal").relativize(f).getName(0).toString();
                List<String> allowed = ALLOWED.get(pkg);
                if (allowed == null) {
                    problems.add(f + ": package internal." + pkg + " is not in the layering table");
                    continue;
                }
                Matcher m = INTERNAL_REF.matcher(Files.readString(f));
                while (m.find()) {
                    String used = m.group(1);
                    if (!used.equals(pkg) && !used.equals("util") && !allowed.contains(used)) {
                        problems.add(f.getFileName() + " (internal." + pkg + ") uses internal." + used);
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void onlyTheStorageSeamTouchesFiles() throws IOException {
        List<String> problems = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (f.startsWith(SOURCES.resolve("internal/io"))) {
                    continue;
                }
                Matcher m = FILE_ACCESS.matcher(Files.readString(f));
                if (m.find()) {
                    problems.add(f + " uses " + m.group());
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void publicApiDoesNotDependOnEngineInternals() throws IOException {
        List<String> problems = new ArrayList<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = INTERNAL_REF.matcher(Files.readString(f));
                while (m.find()) {
                    if (!List.of("engine", "entity", "io", "util").contains(m.group(1))) {
                        problems.add(f.getFileName() + " uses internal." + m.group(1));
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
    }
}
