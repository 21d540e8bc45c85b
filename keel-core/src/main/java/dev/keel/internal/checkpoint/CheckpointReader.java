package dev.keel.internal.checkpoint;

import dev.keel.CorruptionException;
import dev.keel.FormatVersionException;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.Checksums;
import dev.keel.internal.codec.MalformedDataException;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.store.LongRadixTree;
import dev.keel.internal.store.MemStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads and fully verifies a checkpoint (see {@link CheckpointFormat}) into a {@link MemStore}.
 * Every failure is a {@link CorruptionException} naming the file and the offset of the bad block;
 * checksums are verified before any payload is decoded, so damage is reported as damage rather than
 * as a confusing decoding error. Never writes.
 */
public final class CheckpointReader {
    private CheckpointReader() {
    }

    /** A loaded checkpoint. */
    public record Loaded(MemStore store, long lsn, long sizeInBytes, long entities) {
    }

    public static Loaded read(FileIO io, Path file) throws IOException {
        byte[] data;
        try (StorageFile f = io.openForRead(file)) {
            long size = f.size();
            if (size > Integer.MAX_VALUE - 64) {
                throw new CorruptionException(file, 0, "checkpoint of " + size + " bytes exceeds the 2 GiB this"
                        + " version reads");
            }
            data = new byte[(int) size];
            f.readFully(ByteBuffer.wrap(data), 0);
        }
        return decode(file, data);
    }

    static Loaded decode(Path file, byte[] data) {
        long lsn = verifyHeader(file, data);
        int at = CheckpointFormat.HEADER_SIZE;
        Schema schema = null;
        Map<Integer, LongRadixTree.Builder> builders = new HashMap<>();
        Map<Integer, Long> nextIds = new HashMap<>();
        Map<Integer, Long> expectedCounts = new HashMap<>();
        Map<Integer, Long> lastIds = new HashMap<>();
        long total = 0;
        int blocks = 0;
        while (true) {
            if (data.length - at < CheckpointFormat.BLOCK_HEADER_SIZE) {
                throw new CorruptionException(file, at, "checkpoint ends without its END block (truncated)");
            }
            int length = ByteReader.getInt(data, at + 4);
            if (length < 0 || length > data.length - at - CheckpointFormat.BLOCK_HEADER_SIZE) {
                throw new CorruptionException(file, at, "checkpoint block length " + length + " runs past the end"
                        + " of the file (truncated or damaged)");
            }
            int stored = ByteReader.getInt(data, at);
            int actual = Checksums.crc32c(data, at + 4, CheckpointFormat.BLOCK_HEADER_SIZE - 4 + length);
            if (stored != actual) {
                throw new CorruptionException(file, at, String.format(Locale.ROOT,
                        "checkpoint block checksum mismatch: stored %08x, computed %08x", stored, actual));
            }
            int kind = data[at + 8] & 0xFF;
            ByteReader r = new ByteReader(data, at + CheckpointFormat.BLOCK_HEADER_SIZE, length);
            try {
                if (blocks == 0 && kind != CheckpointFormat.SCHEMA) {
                    throw new MalformedDataException("first block is kind " + kind + ", not SCHEMA");
                }
                switch (kind) {
                    case CheckpointFormat.SCHEMA -> {
                        if (schema != null) {
                            throw new MalformedDataException("second SCHEMA block");
                        }
                        schema = SchemaCodec.decode(r);
                    }
                    case CheckpointFormat.TYPE -> {
                        int typeId = r.readVarInt();
                        if (schema.byId(typeId) == null || builders.containsKey(typeId)) {
                            throw new MalformedDataException("TYPE block for unknown or repeated type id " + typeId);
                        }
                        nextIds.put(typeId, r.readVarLong());
                        expectedCounts.put(typeId, r.readVarLong());
                        builders.put(typeId, LongRadixTree.builder());
                    }
                    case CheckpointFormat.ENTITIES -> total += readEntities(r, builders, lastIds);
                    case CheckpointFormat.END -> {
                        long declaredTotal = r.readVarLong();
                        int declaredBlocks = r.readVarInt();
                        long endLsn = r.readVarLong();
                        if (declaredTotal != total || declaredBlocks != blocks || endLsn != lsn) {
                            throw new MalformedDataException("END says " + declaredTotal + " entities in "
                                    + declaredBlocks + " blocks at LSN " + endLsn + " but the file holds " + total
                                    + " in " + blocks + " at LSN " + lsn);
                        }
                        if (at + CheckpointFormat.BLOCK_HEADER_SIZE + length != data.length) {
                            throw new MalformedDataException((data.length - at - CheckpointFormat.BLOCK_HEADER_SIZE
                                    - length) + " bytes after the END block (extended?)");
                        }
                        return finish(file, at, schema, builders, nextIds, expectedCounts, lsn, data.length, total);
                    }
                    default -> throw new MalformedDataException("unknown block kind " + kind);
                }
                if (r.hasRemaining()) {
                    throw new MalformedDataException(r.remaining() + " trailing bytes in block of kind " + kind);
                }
            } catch (MalformedDataException | IllegalArgumentException e) {
                throw new CorruptionException(file, at, "checkpoint block does not decode although its checksum"
                        + " verifies: " + e.getMessage(), e);
            }
            at += CheckpointFormat.BLOCK_HEADER_SIZE + length;
            blocks++;
        }
    }

    private static long readEntities(ByteReader r, Map<Integer, LongRadixTree.Builder> builders, Map<Integer, Long> lastIds) {
        int typeId = r.readVarInt();
        LongRadixTree.Builder b = builders.get(typeId);
        if (b == null) {
            throw new MalformedDataException("ENTITIES block for type id " + typeId + " before its TYPE block");
        }
        int n = r.readVarInt();
        if (n < 0) {
            throw new MalformedDataException("ENTITIES block declares " + (n & 0xFFFFFFFFL) + " entities");
        }
        long last = lastIds.getOrDefault(typeId, 0L);
        for (int i = 0; i < n; i++) {
            long id = r.readVarLong();
            if (id <= last) {
                throw new MalformedDataException("entity ids not positive and ascending: " + id + " after " + last);
            }
            if (id == Long.MAX_VALUE) {
                throw new MalformedDataException("entity id " + id + " leaves no next id to allocate");
            }
            b.add(id, r.readBytes(r.readLength()));
            last = id;
        }
        lastIds.put(typeId, last);
        return n;
    }

    private static Loaded finish(Path file, int at, Schema schema, Map<Integer, LongRadixTree.Builder> builders,
            Map<Integer, Long> nextIds, Map<Integer, Long> counts, long lsn, long size, long total) {
        Map<Integer, LongRadixTree> trees = new HashMap<>();
        for (Map.Entry<Integer, LongRadixTree.Builder> e : builders.entrySet()) {
            LongRadixTree t = e.getValue().build();
            if (t.size() != counts.get(e.getKey())) {
                throw new CorruptionException(file, at, "checkpoint type " + e.getKey() + " declares "
                        + counts.get(e.getKey()) + " entities but holds " + t.size());
            }
            trees.put(e.getKey(), t);
        }
        return new Loaded(MemStore.of(lsn, schema, trees, nextIds), lsn, size, total);
    }

    private static long verifyHeader(Path file, byte[] data) {
        if (data.length < CheckpointFormat.HEADER_SIZE) {
            throw new CorruptionException(file, 0, "checkpoint is " + data.length + " bytes, shorter than its header"
                    + " (truncated)");
        }
        for (int i = 0; i < CheckpointFormat.MAGIC.length; i++) {
            if (data[i] != CheckpointFormat.MAGIC[i]) {
                throw new CorruptionException(file, 0, "not a KeelDB checkpoint: bad magic");
            }
        }
        int stored = ByteReader.getInt(data, CheckpointFormat.HEADER_CRC_OFFSET);
        int actual = Checksums.crc32c(data, 0, CheckpointFormat.HEADER_CRC_OFFSET);
        if (stored != actual) {
            throw new CorruptionException(file, CheckpointFormat.HEADER_CRC_OFFSET, String.format(Locale.ROOT,
                    "checkpoint header checksum mismatch: stored %08x, computed %08x", stored, actual));
        }
        int version = ByteReader.getInt(data, 8);
        if (version < CheckpointFormat.MIN_FORMAT_VERSION || version > CheckpointFormat.FORMAT_VERSION) {
            throw new FormatVersionException(file, 8, "checkpoint", version, CheckpointFormat.MIN_FORMAT_VERSION,
                    CheckpointFormat.FORMAT_VERSION);
        }
        long lsn = ByteReader.getLong(data, 12);
        long named = CheckpointFormat.parseLsn(file.getFileName().toString());
        if (named >= 0 && named != lsn) {
            throw new CorruptionException(file, 12, "checkpoint header says LSN " + lsn + " but its name says " + named);
        }
        return lsn;
    }
}
