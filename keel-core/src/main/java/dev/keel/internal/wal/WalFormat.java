package dev.keel.internal.wal;

import dev.keel.CorruptionException;
import dev.keel.FormatVersionException;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.Checksums;
import java.nio.file.Path;
import java.util.Locale;

/**
 * On-disk format of log segments. A segment is preallocated to its full size (header, then zeros),
 * so appending a record and syncing it never changes the file size.
 *
 * <pre>
 * segment header, 64 bytes at offset 0:
 *   0  8  magic "KEELWAL\0"
 *   8  4  format version (1)
 *  12  8  segment id (matches the file name wal-&lt;id as 16 hex digits&gt;.log)
 *  20  8  salt: random per segment; every record checksum in the segment is seeded with it, so a
 *         record left over from another segment or an older use of the file never verifies
 *  28  8  creation time, epoch millis
 *  36 24  reserved, zero
 *  60  4  CRC32C of bytes 0..59
 *
 * record frame, from offset 64 on, back to back:
 *   0  4  CRC32C(salt, bytes 4 .. 17+length)
 *   4  4  length of the payload
 *   8  8  LSN: 1, 2, 3, ... with no gaps across segments
 *  16  1  kind (see {@link WalRecord}; ids are stable)
 *  17  length  payload
 * </pre>
 * The log ends at the first frame that does not verify (a zero length and zero checksum in the
 * preallocated zeros). All integers are little-endian.
 */
public final class WalFormat {
    public static final byte[] MAGIC = {'K', 'E', 'E', 'L', 'W', 'A', 'L', 0};
    public static final int FORMAT_VERSION = 1;
    public static final int MIN_FORMAT_VERSION = 1;
    public static final int HEADER_SIZE = 64;
    public static final int HEADER_CRC_OFFSET = 60;
    public static final int FRAME_HEADER_SIZE = 17;
    /** Largest payload accepted; a bigger length field is damage. */
    public static final int MAX_PAYLOAD = 1 << 30;
    public static final String SEGMENT_PREFIX = "wal-";
    public static final String SEGMENT_SUFFIX = ".log";

    private WalFormat() {
    }

    public static String fileName(long segmentId) {
        return SEGMENT_PREFIX + String.format(Locale.ROOT, "%016x", segmentId) + SEGMENT_SUFFIX;
    }

    /** Segment id from a file name, or -1 when the name is not a segment's. */
    public static long parseId(String fileName) {
        if (!fileName.startsWith(SEGMENT_PREFIX) || !fileName.endsWith(SEGMENT_SUFFIX)
                || fileName.length() != SEGMENT_PREFIX.length() + 16 + SEGMENT_SUFFIX.length()) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(fileName.substring(SEGMENT_PREFIX.length(), SEGMENT_PREFIX.length() + 16), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public static byte[] header(long segmentId, long salt, long createdMillis) {
        ByteWriter w = new ByteWriter(HEADER_SIZE);
        w.writeBytes(MAGIC).writeInt(FORMAT_VERSION).writeLong(segmentId).writeLong(salt).writeLong(createdMillis);
        while (w.position() < HEADER_CRC_OFFSET) {
            w.writeByte(0);
        }
        w.writeInt(Checksums.crc32c(w.array(), 0, HEADER_CRC_OFFSET));
        return w.toByteArray();
    }

    /** A verified segment header. */
    public record Header(long segmentId, long salt, long createdMillis) {
    }

    /**
     * Verifies and decodes a header. Checks the checksum first, then magic, version and that the id
     * matches the file name, so the error says what is actually wrong.
     */
    public static Header readHeader(byte[] data, int length, Path file, long expectedId) {
        if (length < HEADER_SIZE) {
            throw new CorruptionException(file, 0, "log segment is " + length + " bytes, shorter than its "
                    + HEADER_SIZE + "-byte header (truncated)");
        }
        int stored = ByteReader.getInt(data, HEADER_CRC_OFFSET);
        int actual = Checksums.crc32c(data, 0, HEADER_CRC_OFFSET);
        for (int i = 0; i < MAGIC.length; i++) {
            if (data[i] != MAGIC[i]) {
                throw new CorruptionException(file, 0, "not a KeelDB log segment: bad magic"
                        + (stored != actual ? " and header checksum mismatch" : ""));
            }
        }
        if (stored != actual) {
            throw new CorruptionException(file, HEADER_CRC_OFFSET, String.format(Locale.ROOT,
                    "log segment header checksum mismatch: stored %08x, computed %08x", stored, actual));
        }
        ByteReader r = new ByteReader(data, MAGIC.length, HEADER_SIZE - MAGIC.length);
        int version = r.readInt();
        if (version < MIN_FORMAT_VERSION || version > FORMAT_VERSION) {
            throw new FormatVersionException(file, MAGIC.length, "log segment", version, MIN_FORMAT_VERSION, FORMAT_VERSION);
        }
        long id = r.readLong();
        if (id != expectedId) {
            throw new CorruptionException(file, 12, "log segment header names segment " + id
                    + " but the file name says " + expectedId + " (file renamed or copied?)");
        }
        return new Header(id, r.readLong(), r.readLong());
    }

    /**
     * Checks the frame at {@code offset}: returns its total size (header plus payload) if the length
     * is plausible, fits inside {@code limit}, and the checksum verifies under {@code salt}; else -1.
     */
    public static int verifyFrame(byte[] data, int offset, int limit, long salt) {
        int size = plausibleFrameSize(data, offset, limit);
        if (size < 0) {
            return -1;
        }
        int actual = Checksums.crc32c(salt, data, offset + 4, size - 4);
        return frameChecksum(data, offset) == actual ? size : -1;
    }

    /**
     * The total size of the frame at {@code offset} if its header fits inside {@code limit} and its
     * length is plausible (not negative, at most {@link #MAX_PAYLOAD}, inside {@code limit}, not the
     * all-zero end marker), else -1. Does not verify the checksum, which covers bytes
     * {@code offset + 4 .. offset + size}.
     */
    public static int plausibleFrameSize(byte[] data, int offset, int limit) {
        if (limit - offset < FRAME_HEADER_SIZE) {
            return -1;
        }
        int length = ByteReader.getInt(data, offset + 4);
        if (length < 0 || length > MAX_PAYLOAD || (long) length + FRAME_HEADER_SIZE > limit - offset) {
            return -1;
        }
        if (length == 0 && frameChecksum(data, offset) == 0) {
            return -1;
        }
        return FRAME_HEADER_SIZE + length;
    }

    public static int frameChecksum(byte[] data, int offset) {
        return ByteReader.getInt(data, offset);
    }

    public static long frameLsn(byte[] data, int offset) {
        return ByteReader.getLong(data, offset + 8);
    }

    public static int frameKind(byte[] data, int offset) {
        return data[offset + 16] & 0xFF;
    }

    public static int framePayloadLength(byte[] data, int offset) {
        return ByteReader.getInt(data, offset + 4);
    }

    /**
     * Appends one frame to {@code out}: writes the header with a placeholder checksum, lets
     * {@code payload} write the payload, then fills in length and checksum.
     */
    public static void writeFrame(ByteWriter out, long salt, long lsn, int kind, byte[] payload, int off, int len) {
        int start = out.position();
        out.writeInt(0).writeInt(len).writeLong(lsn).writeByte(kind).writeBytes(payload, off, len);
        out.putIntAt(start, Checksums.crc32c(salt, out.array(), start + 4, FRAME_HEADER_SIZE - 4 + len));
    }
}
