package dev.keel.fuzz;

import dev.keel.CorruptionException;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.Checksums;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.LockHandle;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.wal.WalFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Shared pieces of the decoder fuzz targets: an in-memory file layer (so a target decodes a file
 * without touching the disk), checksum repair (so mutated bytes get past the CRCs and reach the
 * payload decoders), and the entity type the entity target decodes against.
 */
final class FuzzSupport {
    /** The segment id fuzzed segments are read as (their name is {@code wal-...07.log}). */
    static final long SEGMENT_ID = 7;
    static final Path SEGMENT_FILE = Path.of(WalFormat.fileName(SEGMENT_ID));

    /**
     * Field ids deliberately sparse (the codec looks fields up by stored id, not position); every
     * field type once, none required so that any decoded entity can be encoded again.
     */
    static final StoredType ENTITY_TYPE = new StoredType(3, EntityType.builder("Fuzz")
            .field(Field.text("text"))
            .field(Field.longField("count"))
            .field(Field.doubleField("score"))
            .field(Field.bool("flag"))
            .field(Field.timestamp("at"))
            .field(Field.bytes("blob"))
            .field(Field.reference("owner", "Fuzz"))
            .field(Field.vector("embedding"))
            .build(), new int[] {1, 2, 5, 7, 8, 300, 9, 65_535});

    private FuzzSupport() {
    }

    /**
     * A copy of a segment image with a valid header for {@link #SEGMENT_ID} (magic, version, id and
     * checksum set; salt and time kept) and, following frames back to back from the header on,
     * every frame's checksum recomputed under that salt, until a frame whose length runs past the
     * end or the all-zero end marker. Images shorter than a header are returned as they are.
     */
    static byte[] withValidSegmentChecksums(byte[] image) {
        if (image.length < WalFormat.HEADER_SIZE) {
            return image;
        }
        byte[] out = image.clone();
        System.arraycopy(WalFormat.MAGIC, 0, out, 0, WalFormat.MAGIC.length);
        putInt(out, 8, WalFormat.FORMAT_VERSION);
        putLong(out, 12, SEGMENT_ID);
        putInt(out, WalFormat.HEADER_CRC_OFFSET, Checksums.crc32c(out, 0, WalFormat.HEADER_CRC_OFFSET));
        long salt = ByteReader.getLong(out, 20);
        int at = WalFormat.HEADER_SIZE;
        while (out.length - at >= WalFormat.FRAME_HEADER_SIZE) {
            int length = ByteReader.getInt(out, at + 4);
            if (length < 0 || length > out.length - at - WalFormat.FRAME_HEADER_SIZE
                    || (length == 0 && ByteReader.getInt(out, at) == 0)) {
                break;
            }
            putInt(out, at, Checksums.crc32c(salt, out, at + 4, WalFormat.FRAME_HEADER_SIZE - 4 + length));
            at += WalFormat.FRAME_HEADER_SIZE + length;
        }
        return out;
    }

    /**
     * A copy of a checkpoint image with a valid header (magic, version 1, checksum; LSN kept) and
     * every block's checksum recomputed, following blocks back to back until one runs past the end.
     */
    static byte[] withValidCheckpointChecksums(byte[] image) {
        if (image.length < CheckpointFormat.HEADER_SIZE) {
            return image;
        }
        byte[] out = image.clone();
        System.arraycopy(CheckpointFormat.MAGIC, 0, out, 0, CheckpointFormat.MAGIC.length);
        putInt(out, 8, CheckpointFormat.FORMAT_VERSION);
        putInt(out, CheckpointFormat.HEADER_CRC_OFFSET, Checksums.crc32c(out, 0, CheckpointFormat.HEADER_CRC_OFFSET));
        int at = CheckpointFormat.HEADER_SIZE;
        while (out.length - at >= CheckpointFormat.BLOCK_HEADER_SIZE) {
            int length = ByteReader.getInt(out, at + 4);
            if (length < 0 || length > out.length - at - CheckpointFormat.BLOCK_HEADER_SIZE) {
                break;
            }
            putInt(out, at, Checksums.crc32c(out, at + 4, CheckpointFormat.BLOCK_HEADER_SIZE - 4 + length));
            at += CheckpointFormat.BLOCK_HEADER_SIZE + length;
        }
        return out;
    }

    /** The name a checkpoint image is read under: the one its header LSN implies, when it has one. */
    static Path checkpointPath(byte[] image) {
        long lsn = image.length >= 20 ? ByteReader.getLong(image, 12) : 0;
        return Path.of(CheckpointFormat.fileName(lsn));
    }

    /**
     * A corruption error must name the file it was read from and an offset inside it; anything else
     * is a finding.
     */
    static void checkNamesFileAndOffset(CorruptionException e, Path file, int length) {
        if (!file.equals(e.file()) || e.offset() < 0 || e.offset() > Math.max(length, 64)) {
            throw new AssertionError("corruption error names file " + e.file() + " offset " + e.offset() + " for "
                    + file + " of " + length + " bytes", e);
        }
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) v);
        putInt(b, at + 4, (int) (v >>> 32));
    }

    /** A read-only file layer holding one file's bytes in memory. */
    static final class MemoryFileIO implements FileIO {
        private final Path path;
        private final byte[] content;

        MemoryFileIO(Path path, byte[] content) {
            this.path = path;
            this.content = content;
        }

        @Override
        public StorageFile openForRead(Path p) throws IOException {
            if (!p.equals(path)) {
                throw new NoSuchFileException(p.toString());
            }
            return new dev.keel.testutil.BytesStorageFile(path, content);
        }

        @Override
        public StorageFile openForWrite(Path p) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public boolean exists(Path p) {
            return p.equals(path);
        }

        @Override
        public List<Path> list(Path directory) {
            return List.of(path);
        }

        @Override
        public void delete(Path p) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void move(Path source, Path target) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void syncDirectory(Path directory) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void createDirectories(Path directory) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public long usableSpace(Path p) {
            return 0;
        }

        @Override
        public LockHandle tryLock(Path lockFile, boolean shared) {
            throw new UnsupportedOperationException("read-only");
        }
    }
}
