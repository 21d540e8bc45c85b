package dev.keel.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The physical limit: how many 4 KiB {@code FileChannel.write} + {@code force(false)} (fdatasync)
 * operations the disk under the data directory completes per second. A durable commit needs at least
 * one such sync, so a single-thread engine cannot commit faster than the single-thread figure.
 *
 * <ul>
 *   <li>Preallocated: a file first filled with data and fully synced, so writes overwrite allocated
 *       blocks and fdatasync has no metadata to flush. Sequential 4 KiB writes, wrapping around.
 *   <li>Preallocated, N threads: each thread its own preallocated file, all syncing at once;
 *       the total rate shows how much the device overlaps independent syncs.
 *   <li>Growing: appends to an empty file, so each fdatasync also commits the size change
 *       (a file-system journal commit on ext4/xfs).
 * </ul>
 */
final class RawFsync {
    static final int BLOCK = 4096;
    /** Preallocated files wrap around after this many bytes. */
    private static final long MAX_FILE = 64L << 20;

    private RawFsync() {
    }

    /** Preallocated-file writes from {@code threads} threads, {@code writes} in total. */
    static PhaseResult preallocated(Path dir, int threads, int writes, long maxNanos) throws Exception {
        int perThread = Math.max(1, writes / threads);
        long fileSize = Math.min(MAX_FILE, (long) perThread * BLOCK);
        List<Path> files = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Path file = dir.resolve("prealloc-" + t + ".dat");
            preallocate(file, fileSize);
            files.add(file);
        }
        return Parallel.run(threads, t -> () -> syncLoop(files.get(t), fileSize, perThread, false, maxNanos));
    }

    /** Appending writes to a new file from one thread. */
    static PhaseResult growing(Path dir, int writes, long maxNanos) throws Exception {
        Path file = dir.resolve("growing.dat");
        Files.deleteIfExists(file);
        return Parallel.run(1, t -> () -> syncLoop(file, Long.MAX_VALUE, writes, true, maxNanos));
    }

    private static void preallocate(Path file, long size) throws IOException {
        ByteBuffer chunk = filled(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            for (long pos = 0; pos < size; pos += chunk.capacity()) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), size - pos));
                while (chunk.hasRemaining()) {
                    ch.write(chunk, pos + chunk.position());
                }
            }
            ch.force(true);
        }
    }

    private static Latencies syncLoop(Path file, long fileSize, int writes, boolean append, long maxNanos)
            throws IOException {
        ByteBuffer block = filled(BLOCK);
        Latencies lat = new Latencies(writes);
        long deadline = System.nanoTime() + maxNanos;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long pos = 0;
            for (int i = 0; i < writes && System.nanoTime() < deadline; i++) {
                if (!append && pos + BLOCK > fileSize) {
                    pos = 0;
                }
                block.clear();
                block.putLong(0, i);
                long t0 = System.nanoTime();
                while (block.hasRemaining()) {
                    ch.write(block, pos + block.position());
                }
                ch.force(false);
                lat.add(System.nanoTime() - t0);
                pos += BLOCK;
            }
        }
        return lat;
    }

    private static ByteBuffer filled(int size) {
        ByteBuffer buf = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            buf.put(i, (byte) (i * 31 + 7));
        }
        return buf;
    }
}
