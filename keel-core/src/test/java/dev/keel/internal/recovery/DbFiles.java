package dev.keel.internal.recovery;

import dev.keel.internal.wal.SegmentScanner;
import dev.keel.internal.wal.WalFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Log-level test helpers (segments, frames, byte flips) on top of {@link dev.keel.testutil.DbFiles}. */
final class DbFiles {
    private DbFiles() {
    }

    /** A crash image of a (possibly still open) database directory; see {@link dev.keel.testutil.DbFiles#copy}. */
    static Path copy(Path from, Path to) {
        dev.keel.testutil.DbFiles.copy(from, to);
        return to;
    }

    /** Content fingerprint of every file below {@code dir}, except the lock's holder text (not data). */
    static Map<String, String> fingerprint(Path dir) {
        Map<String, String> out = new TreeMap<>(dev.keel.testutil.DbFiles.fingerprint(dir));
        out.remove("keel.lock");
        return out;
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
