package dev.keel.internal.recovery;

import dev.keel.internal.wal.SegmentScanner;
import dev.keel.internal.wal.WalFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Test helpers over a database directory: crash images, content fingerprints, log frames. */
final class DbFiles {
    private DbFiles() {
    }

    /** Copies the directory's files (not subdirectories): what a crash would leave once all is synced. */
    static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return to;
    }

    /** Relative path to SHA-256 of every file below {@code dir}, except the lock's holder text. */
    static Map<String, String> fingerprint(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.endsWith("keel.lock")).toList()) {
                out.put(dir.relativize(f).toString(), sha256(Files.readAllBytes(f)));
            }
        }
        return out;
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> WalFormat.parseId(f.getFileName().toString()) >= 0).sorted().toList();
        }
    }

    /** Segments that hold at least one record frame. */
    static List<Path> segmentsWithFrames(Path dir) throws IOException {
        return segments(dir).stream().filter(s -> !frames(s).isEmpty()).toList();
    }

    static List<SegmentScanner.Frame> frames(Path segment) {
        try {
            byte[] data = Files.readAllBytes(segment);
            WalFormat.Header h = WalFormat.readHeader(data, data.length, segment,
                    WalFormat.parseId(segment.getFileName().toString()));
            return SegmentScanner.scan(data, data.length, h.salt()).frames();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void flipByte(Path file, long offset) throws IOException {
        byte[] data = Files.readAllBytes(file);
        data[(int) offset] ^= 0x5A;
        Files.write(file, data);
    }

    static int quarantineFiles(Path dir) throws IOException {
        Path q = dir.resolve(Quarantine.DIRECTORY);
        if (!Files.isDirectory(q)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(q)) {
            return (int) files.count();
        }
    }
}
