package dev.keel.internal.recovery;

import dev.keel.internal.wal.SegmentScanner;
import java.nio.file.Path;

/**
 * One log segment as recovery read it: its bytes, salt and what the scanner found. {@code header}
 * is false when the header itself is damaged (then nothing inside is trusted).
 */
record LogSegment(long id, Path path, byte[] data, boolean header, SegmentScanner.Result scan) {

    boolean hasFrames() {
        return header && !scan.frames().isEmpty();
    }

    long lastLsn() {
        return scan.frames().isEmpty() ? 0 : scan.frames().get(scan.frames().size() - 1).lsn();
    }
}
