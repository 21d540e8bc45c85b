package dev.keel.internal.checkpoint;

import java.util.Locale;

/**
 * On-disk format of a checkpoint: a full image of the store as of one commit LSN.
 *
 * <pre>
 * file name: checkpoint-&lt;LSN as 16 hex digits&gt;.kcp   (temporary while written: same + ".tmp")
 *
 * header, 64 bytes:
 *   0  8  magic "KEELCKP\0"
 *   8  4  format version (1)
 *  12  8  LSN: the checkpoint holds every commit up to and including it
 *  20  8  creation time, epoch millis
 *  28 32  reserved, zero
 *  60  4  CRC32C of bytes 0..59
 *
 * blocks, back to back after the header:
 *   0  4  CRC32C of bytes 4 .. 9+length
 *   4  4  length of the payload
 *   8  1  kind
 *   9  length  payload
 *
 * SCHEMA   (1) schema bytes (SchemaCodec); exactly one, first
 * TYPE     (2) varint typeId | varlong nextId | varlong entity count    (one per stored type)
 * ENTITIES (3) varint typeId | varint n | n * (varlong id | varint length | entity bytes), ids ascending
 * END      (4) varlong total entities | varint number of blocks before END | varlong LSN (= header)
 * </pre>
 * A checkpoint is valid only if every block verifies, counts match, and END is the last bytes of the
 * file. The format is versioned so that an incremental, page-based checkpoint can replace it.
 */
public final class CheckpointFormat {
    public static final byte[] MAGIC = {'K', 'E', 'E', 'L', 'C', 'K', 'P', 0};
    public static final int FORMAT_VERSION = 1;
    public static final int MIN_FORMAT_VERSION = 1;
    public static final int HEADER_SIZE = 64;
    public static final int HEADER_CRC_OFFSET = 60;
    public static final int BLOCK_HEADER_SIZE = 9;
    public static final int SCHEMA = 1;
    public static final int TYPE = 2;
    public static final int ENTITIES = 3;
    public static final int END = 4;
    /** Target payload size of an ENTITIES block. */
    public static final int BLOCK_TARGET_SIZE = 256 * 1024;
    public static final String PREFIX = "checkpoint-";
    public static final String SUFFIX = ".kcp";
    public static final String TEMP_SUFFIX = ".tmp";

    private CheckpointFormat() {
    }

    public static String fileName(long lsn) {
        return PREFIX + String.format(Locale.ROOT, "%016x", lsn) + SUFFIX;
    }

    /** LSN from a checkpoint file name, or -1. */
    public static long parseLsn(String fileName) {
        if (!fileName.startsWith(PREFIX) || !fileName.endsWith(SUFFIX)
                || fileName.length() != PREFIX.length() + 16 + SUFFIX.length()) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(fileName.substring(PREFIX.length(), PREFIX.length() + 16), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
