package dev.keel.tools;

import dev.keel.CorruptionException;
import dev.keel.FormatVersionException;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.wal.SegmentScanner;
import dev.keel.internal.wal.WalFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * One log segment read in full and scanned with the recovery scanner ({@link SegmentScanner}):
 * every frame that verifies, every damaged region, and the header or why it does not verify.
 *
 * @param id the segment id (from the file name)
 * @param path the file read
 * @param data its bytes
 * @param headerError why the header does not verify, or null (then {@code scan} is empty)
 * @param scan frames and damaged regions
 */
record LogFile(long id, Path path, byte[] data, CorruptionException headerError, SegmentScanner.Result scan) {

    private static final SegmentScanner.Result NOTHING = new SegmentScanner.Result(List.of(), List.of(),
            WalFormat.HEADER_SIZE);

    /** Reads and scans {@code file}. A file that vanishes throws {@link java.nio.file.NoSuchFileException}. */
    static LogFile read(FileIO io, Path file) throws IOException {
        return of(file, readAll(io, file));
    }

    /** Scans bytes read from {@code file}. */
    static LogFile of(Path file, byte[] data) {
        long id = DbDirectory.segmentId(file);
        try {
            WalFormat.Header h = WalFormat.readHeader(data, data.length, file, id);
            return new LogFile(id, file, data, null, SegmentScanner.scan(data, data.length, h.salt()));
        } catch (CorruptionException e) {
            return new LogFile(id, file, data, e, NOTHING);
        }
    }

    boolean unsupportedVersion() {
        return headerError instanceof FormatVersionException;
    }

    List<SegmentScanner.Frame> frames() {
        return scan.frames();
    }

    boolean hasFrames() {
        return !scan.frames().isEmpty();
    }

    long firstLsn() {
        return hasFrames() ? frames().get(0).lsn() : 0;
    }

    long lastLsn() {
        return hasFrames() ? frames().get(frames().size() - 1).lsn() : 0;
    }

    /** The whole content of a file (at most 2 GiB, like recovery reads). */
    static byte[] readAll(FileIO io, Path file) throws IOException {
        try (StorageFile f = io.openForRead(file)) {
            long size = f.size();
            if (size > Integer.MAX_VALUE - 64) {
                throw new CorruptionException(file, 0, "file of " + size + " bytes exceeds the 2 GiB this version"
                        + " reads");
            }
            byte[] data = new byte[(int) size];
            f.readFully(ByteBuffer.wrap(data), 0);
            return data;
        }
    }
}
