package dev.keel.internal.wal;

import dev.keel.internal.codec.Checksums;
import dev.keel.internal.codec.MalformedDataException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds every record frame in one segment's bytes, including frames after a damaged region, so
 * recovery can tell a torn tail from corruption followed by good records.
 *
 * <p>Scanning: from the header on, frames are followed back to back. At a frame that does not verify,
 * the scanner records a damaged region and searches forward, byte by byte, for the next frame that
 * verifies under the segment's salt with a plausible LSN (greater than the last good one). Runs of
 * zeros are skipped quickly: a frame's LSN is at least 1, so a frame cannot start more than 16 bytes
 * before a non-zero byte. Trailing zeros (the preallocated remainder) are not damage.
 *
 * <p>Cost: linear in the segment size, whatever the bytes. While searching damage every offset is a
 * candidate frame, and a garbage length field can claim most of the rest of the segment; checksumming
 * each such claim directly would take time quadratic in the size of the damage (minutes to hours for
 * a 64 MiB segment of garbage). So the cheap conditions a frame must meet anyway (known kind, LSN
 * above the last good one) are checked before the checksum, and long candidates are checksummed in
 * constant time with {@link RangeChecksums}.
 */
public final class SegmentScanner {
    /** A frame that verified. */
    public record Frame(int offset, int size, long lsn, WalRecord record) {
    }

    /** Bytes between frames (or after the last one) that are not zeros and not a valid frame. */
    public record BadRegion(int offset, int length) {
    }

    /** Everything found in one segment. {@code dataEnd} is the offset after the last non-zero byte. */
    public record Result(List<Frame> frames, List<BadRegion> badRegions, int dataEnd) {
    }

    /** Candidates up to this size are checksummed directly while searching damage: cheaper than the index. */
    private static final int DIRECT_CHECKSUM_LIMIT = 256;

    private final byte[] data;
    private final int length;
    private final long salt;
    /** Built on the first long candidate inside damage. */
    private RangeChecksums ranges;

    private SegmentScanner(byte[] data, int length, long salt) {
        this.data = data;
        this.length = length;
        this.salt = salt;
    }

    public static Result scan(byte[] data, int length, long salt) {
        return new SegmentScanner(data, length, salt).scan();
    }

    private Result scan() {
        List<Frame> frames = new ArrayList<>();
        List<BadRegion> bad = new ArrayList<>();
        int dataEnd = lastNonZero(data, length) + 1;
        int at = WalFormat.HEADER_SIZE;
        long lastLsn = 0;
        int badStart = -1;
        while (at < dataEnd) {
            Frame f = frameAt(at, lastLsn, badStart >= 0);
            if (f != null) {
                if (badStart >= 0) {
                    bad.add(new BadRegion(badStart, at - badStart));
                    badStart = -1;
                }
                frames.add(f);
                lastLsn = f.lsn();
                at += f.size();
                continue;
            }
            if (badStart < 0) {
                badStart = at;
            }
            at = nextCandidate(data, at + 1, dataEnd);
        }
        if (badStart >= 0) {
            bad.add(new BadRegion(badStart, Math.max(0, dataEnd - badStart)));
        }
        return new Result(frames, bad, Math.max(dataEnd, WalFormat.HEADER_SIZE));
    }

    /**
     * The frame at {@code at} if it verifies under the salt, has an LSN above {@code lastLsn} and
     * decodes; else null. {@code searching}: inside damage, where most candidates are garbage.
     */
    private Frame frameAt(int at, long lastLsn, boolean searching) {
        int size = WalFormat.plausibleFrameSize(data, at, length);
        if (size < 0) {
            return null;
        }
        long lsn = WalFormat.frameLsn(data, at);
        int kind = WalFormat.frameKind(data, at);
        if (lsn <= lastLsn || !WalRecord.isKnownKind(kind)) {
            return null;
        }
        int actual;
        if (searching && size > DIRECT_CHECKSUM_LIMIT) {
            if (ranges == null) {
                ranges = new RangeChecksums(data, length, salt);
            }
            actual = ranges.crc32c(at + 4, at + size);
        } else {
            actual = Checksums.crc32c(salt, data, at + 4, size - 4);
        }
        if (actual != WalFormat.frameChecksum(data, at)) {
            return null;
        }
        try {
            WalRecord rec = WalRecord.decode(kind, data, at + WalFormat.FRAME_HEADER_SIZE,
                    size - WalFormat.FRAME_HEADER_SIZE);
            return new Frame(at, size, lsn, rec);
        } catch (MalformedDataException e) {
            return null;
        }
    }

    private static final byte[] ZEROS = new byte[4096];

    private static int nextCandidate(byte[] data, int from, int end) {
        int p = from;
        while (p < end) {
            int len = Math.min(ZEROS.length, end - p);
            int m = Arrays.mismatch(data, p, p + len, ZEROS, 0, len);
            if (m >= 0) {
                p += m;
                break;
            }
            p += len;
        }
        return Math.max(from, p - 16);
    }

    /** Index of the last non-zero byte, or -1; compares 4 KiB blocks at a time (vectorized). */
    private static int lastNonZero(byte[] data, int length) {
        int end = length;
        while (end > 0) {
            int start = Math.max(0, end - ZEROS.length);
            if (Arrays.mismatch(data, start, end, ZEROS, 0, end - start) >= 0) {
                for (int p = end - 1; p >= start; p--) {
                    if (data[p] != 0) {
                        return p;
                    }
                }
            }
            end = start;
        }
        return -1;
    }
}
