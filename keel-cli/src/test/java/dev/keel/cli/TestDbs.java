package dev.keel.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Database directories for CLI tests: small databases, crash images, corruption, fingerprints. */
final class TestDbs {
    static final EntityType ITEM = EntityType.builder("Item").field(Field.longField("n").required())
            .field(Field.text("label")).build();
    static final int ITEMS = 20;
    /** The item whose log record {@link #corruptImage} damages. */
    static final int DAMAGED = 7;

    private TestDbs() {
    }

    static KeelOptions options() {
        return KeelOptions.builder().entityType(ITEM).segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE).build();
    }

    /** A closed database holding {@code n} items (ids 1..n), each its own commit. */
    static Path small(Path dir, int n) {
        try (KeelDb db = KeelDb.open(dir, options())) {
            insertItems(db, n);
        }
        return dir;
    }

    private static void insertItems(KeelDb db, int n) {
        for (int i = 1; i <= n; i++) {
            long v = i;
            db.execute(tx -> tx.insert("Item", Map.of("n", v, "label", marker((int) v))));
        }
    }

    static String marker(int i) {
        return String.format("MARKER-%04d-the-label-of-this-item", i);
    }

    /**
     * A crash image (a copy of a database directory taken while it was open, which is what a killed
     * process leaves) whose log holds {@link #ITEMS} single-item commits, with one byte flipped in
     * the middle of item {@link #DAMAGED}'s record: damage followed by good records, which NORMAL
     * recovery refuses to open. Returns the damaged segment.
     */
    static Path corruptImage(Path work, Path image) throws IOException {
        Path live = work.resolve("live-" + image.getFileName());
        try (KeelDb db = KeelDb.open(live, options())) {
            insertItems(db, ITEMS);
            copyStable(live, image);
        }
        byte[] needle = marker(DAMAGED).getBytes(StandardCharsets.UTF_8);
        for (Path f : list(image)) {
            String name = f.getFileName().toString();
            if (name.startsWith("wal-") && name.endsWith(".log")) {
                byte[] data = Files.readAllBytes(f);
                int at = indexOf(data, needle);
                if (at >= 0) {
                    data[at + needle.length / 2] ^= 0x5A;
                    Files.write(f, data);
                    return f;
                }
            }
        }
        throw new AssertionError("no log segment in " + image + " holds " + marker(DAMAGED) + ": " + list(image));
    }

    private static int indexOf(byte[] data, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= data.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Copies {@code source} (recursively) until no file appeared or vanished during the copy. */
    static void copyStable(Path source, Path target) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            List<Path> before = tree(source);
            deleteTree(target);
            try {
                for (Path p : before) {
                    Path to = target.resolve(source.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(to);
                    } else {
                        Files.createDirectories(to.getParent());
                        Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } catch (NoSuchFileException vanished) {
                continue;
            }
            if (before.equals(tree(source))) {
                return;
            }
        }
        throw new IllegalStateException("the files of " + source + " kept changing");
    }

    static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> tree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return new ArrayList<>(s.filter(p -> !p.equals(dir)).sorted().toList());
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> all = tree(dir);
        java.util.Collections.reverse(all);
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }

    /** Every file below {@code dir}: relative path to size and SHA-256. Equal fingerprints: nothing changed. */
    static Map<String, String> fingerprint(Path dir) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted().toList()) {
                String key = dir.relativize(p).toString();
                if (Files.isDirectory(p)) {
                    out.put(key + "/", "dir");
                } else {
                    byte[] content = Files.readAllBytes(p);
                    out.put(key, content.length + ":" + HexFormat.of().formatHex(
                            MessageDigest.getInstance("SHA-256").digest(content)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static void assertContains(String text, String... parts) {
        for (String p : parts) {
            assertTrue(text.contains(p), "expected \"" + p + "\" in:\n" + text);
        }
    }
}
