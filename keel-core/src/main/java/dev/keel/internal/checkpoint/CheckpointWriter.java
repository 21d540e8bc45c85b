package dev.keel.internal.checkpoint;

import dev.keel.fault.CrashHook;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.codec.Checksums;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.util.Closeables;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a checkpoint of an immutable {@link dev.keel.internal.store.Store} version while writers go
 * on (the store never changes under it).
 *
 * <p>Durability: written to {@code checkpoint-<lsn>.kcp.tmp}, synced, renamed to its final name, and
 * the directory synced; only then does {@link #write} return, and only then may log segments it
 * covers be retired. A crash at any step leaves either no new checkpoint (the temp file is removed
 * on open) or a complete one.
 */
public final class CheckpointWriter {
    private static final int FLUSH_AT = 1 << 20;

    private final FileIO io;
    private final Path directory;
    private final CrashHook crash;

    public CheckpointWriter(FileIO io, Path directory, CrashHook crash) {
        this.io = io;
        this.directory = directory;
        this.crash = crash;
    }

    /** Writes and installs a checkpoint of {@code store}; returns its final path. */
    public Path write(dev.keel.internal.store.Store store) throws IOException {
        String name = CheckpointFormat.fileName(store.lsn());
        Path temp = directory.resolve(name + CheckpointFormat.TEMP_SUFFIX);
        Path target = directory.resolve(name);
        StorageFile file = io.openForWrite(temp);
        try {
            file.truncate(0);
            new Encoder(file, crash).writeAll(store);
            file.sync();
            file.close();
            crash.reached(CrashPoint.CHECKPOINT_AFTER_TEMP_SYNC);
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(e, file);
            try {
                io.delete(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        io.move(temp, target);
        crash.reached(CrashPoint.CHECKPOINT_AFTER_RENAME);
        io.syncDirectory(directory);
        return target;
    }

    /** Streams blocks into the file through a buffer. */
    private static final class Encoder {
        private final StorageFile file;
        private final CrashHook crash;
        private final ByteWriter out = new ByteWriter(FLUSH_AT + CheckpointFormat.BLOCK_TARGET_SIZE * 2);
        private final ByteWriter block = new ByteWriter(CheckpointFormat.BLOCK_TARGET_SIZE * 2);
        private long filePos;
        private int blocks;

        Encoder(StorageFile file, CrashHook crash) {
            this.file = file;
            this.crash = crash;
        }

        void writeAll(dev.keel.internal.store.Store store) throws IOException {
            writeHeader(store.lsn());
            SchemaCodec.encode(store.schema(), block);
            emit(CheckpointFormat.SCHEMA);
            long total = 0;
            List<StoredType> types = List.copyOf(store.schema().types());
            for (StoredType t : types) {
                long count = store.count(t.typeId());
                block.writeVarInt(t.typeId()).writeVarLong(store.nextId(t.typeId())).writeVarLong(count);
                emit(CheckpointFormat.TYPE);
                total += writeEntities(store, t.typeId(), count);
            }
            block.writeVarLong(total).writeVarInt(blocks).writeVarLong(store.lsn());
            emit(CheckpointFormat.END);
            flush();
        }

        private long writeEntities(dev.keel.internal.store.Store store, int typeId, long expected) throws IOException {
            dev.keel.internal.store.Store.Cursor c = store.scan(typeId, Long.MIN_VALUE);
            ByteWriter entries = new ByteWriter(CheckpointFormat.BLOCK_TARGET_SIZE * 2);
            long written = 0;
            int n = 0;
            while (c.next()) {
                byte[] v = c.value();
                entries.writeVarLong(c.id()).writeVarInt(v.length).writeBytes(v);
                n++;
                written++;
                if (entries.position() >= CheckpointFormat.BLOCK_TARGET_SIZE) {
                    entitiesBlock(typeId, n, entries);
                    n = 0;
                }
            }
            if (n > 0) {
                entitiesBlock(typeId, n, entries);
            }
            if (written != expected) {
                throw new IllegalStateException("store of type " + typeId + " counted " + expected + " but iterated "
                        + written);
            }
            return written;
        }

        private void entitiesBlock(int typeId, int n, ByteWriter entries) throws IOException {
            block.writeVarInt(typeId).writeVarInt(n).writeBytes(entries.array(), 0, entries.position());
            entries.reset();
            emit(CheckpointFormat.ENTITIES);
        }

        private void writeHeader(long lsn) {
            out.writeBytes(CheckpointFormat.MAGIC).writeInt(CheckpointFormat.FORMAT_VERSION).writeLong(lsn)
                    .writeLong(System.currentTimeMillis());
            while (out.position() < CheckpointFormat.HEADER_CRC_OFFSET) {
                out.writeByte(0);
            }
            out.writeInt(Checksums.crc32c(out.array(), 0, CheckpointFormat.HEADER_CRC_OFFSET));
        }

        private void emit(int kind) throws IOException {
            int start = out.position();
            out.writeInt(0).writeInt(block.position()).writeByte(kind).writeBytes(block.array(), 0, block.position());
            out.putIntAt(start, Checksums.crc32c(out.array(), start + 4, CheckpointFormat.BLOCK_HEADER_SIZE - 4
                    + block.position()));
            block.reset();
            if (kind != CheckpointFormat.END) {
                blocks++;
            }
            if (out.position() >= FLUSH_AT) {
                flush();
            }
        }

        private void flush() throws IOException {
            if (out.position() > 0) {
                file.write(out.asByteBuffer(), filePos);
                filePos += out.position();
                out.reset();
                crash.reached(CrashPoint.CHECKPOINT_MID_TEMP_WRITE);
            }
        }
    }
}
