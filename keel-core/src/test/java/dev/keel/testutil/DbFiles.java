package dev.keel.testutil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * File helpers for tests of whole database directories: listing, fingerprinting (name, size and
 * content hash of every file), crash images (a copy of the directory of a database that is still
 * open, which is what a killed process leaves behind) and keeping the directory of a failed test
 * under {@code target/failed-dbs/}.
 */
public final class DbFiles {
    private DbFiles() {
    }

    /** Regular files directly in {@code dir} (not in subdirectories), sorted by name. */
    public static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Names of the files in {@code dir} that match {@code glob}-like prefix and suffix. */
    public static List<String> names(Path dir, String prefix, String suffix) {
        return list(dir).stream().map(p -> p.getFileName().toString())
                .filter(n -> n.startsWith(prefix) && n.endsWith(suffix)).toList();
    }

    /**
     * Every file below {@code dir} (recursively), relative path to "size:sha256". Two equal
     * fingerprints mean no file was created, deleted, resized or changed.
     */
    public static Map<String, String> fingerprint(Path dir) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] content = Files.readAllBytes(p);
                out.put(dir.relativize(p).toString(), content.length + ":" + sha256(content));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Copies the files of {@code source} (recursively) to {@code target}. Used on the directory of
     * a still-open database, the copy is what a process kill would leave: everything the process
     * wrote to the operating system. A kill freezes the directory at one instant; a copy takes
     * time, so it is repeated until no file appeared or vanished while it ran (a checkpoint
     * installed and segments retired in the middle of a copy would give an image no crash can
     * produce). Files only appended to meanwhile (the open log segment) are fine: any prefix of
     * an append is a state a kill can leave.
     */
    public static void copy(Path source, Path target) {
        for (int attempt = 0; attempt < 100; attempt++) {
            List<Path> before = tree(source);
            deleteTree(target);
            boolean vanished = copyOnce(source, target);
            if (!vanished && before.equals(tree(source))) {
                return;
            }
        }
        throw new IllegalStateException("the files of " + source + " kept changing during 100 copies");
    }

    private static boolean copyOnce(Path source, Path target) {
        boolean vanished = false;
        try {
            Files.createDirectories(target);
            List<Path> children;
            try (Stream<Path> s = Files.list(source)) {
                children = s.toList();
            }
            for (Path p : children) {
                Path to = target.resolve(p.getFileName().toString());
                try {
                    if (Files.isDirectory(p)) {
                        vanished |= copyOnce(p, to);
                    } else {
                        Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (NoSuchFileException gone) {
                    vanished = true;
                }
            }
        } catch (NoSuchFileException gone) {
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return vanished;
    }

    private static List<Path> tree(Path dir) {
        List<Path> all = new java.util.ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                all.add(dir.relativize(p));
                if (Files.isDirectory(p)) {
                    for (Path c : tree(p)) {
                        all.add(dir.relativize(p).resolve(c));
                    }
                }
            }
        } catch (NoSuchFileException gone) {
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Keeps the directory of a failed test under {@code target/failed-dbs/<name>/} (relative to the
     * module directory) and returns where, or a note why it could not.
     */
    public static String keepFailed(Path dbDir, String name) {
        Path base = Path.of(System.getProperty("basedir", "."), "target", "failed-dbs", name);
        try {
            if (Files.exists(base)) {
                try (Stream<Path> s = Files.walk(base)) {
                    for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            Files.createDirectories(base);
            if (Files.exists(dbDir)) {
                copy(dbDir, base);
            }
            return "database directory kept in " + base.toAbsolutePath();
        } catch (IOException | RuntimeException e) {
            return "could not keep database directory " + dbDir + " in " + base + ": " + e;
        }
    }
}
