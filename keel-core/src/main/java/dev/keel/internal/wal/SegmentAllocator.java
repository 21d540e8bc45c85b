package dev.keel.internal.wal;

import dev.keel.fault.CrashHook;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.util.Closeables;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * Creates preallocated log segments, ahead of need, on a background executor.
 *
 * <p>Durability: a segment is written under a temporary name ({@code wal-<id>.log.tmp}): header,
 * then zeros to the full size; synced; renamed to its final name; directory synced. So a segment
 * file under its final name is always complete, and appends into it never change its size (one
 * data sync per commit, no metadata update). A crash leaves at most a temp file, removed on open.
 *
 * <p>The zeros are synced every {@link #ZERO_CHUNK} bytes rather than once at the end: on ext4 in
 * ordered mode a commit's fdatasync waits for every dirty data block the journal transaction
 * references, so 64 MiB of dirty zeros would stall concurrent commits for milliseconds.
 */
final class SegmentAllocator {
    static final String TEMP_SUFFIX = ".tmp";
    private static final int ZERO_CHUNK = 1 << 20;

    private final FileIO io;
    private final Path directory;
    private final long segmentSize;
    private final ExecutorService executor;
    private final CrashHook crash;

    SegmentAllocator(FileIO io, Path directory, long segmentSize, ExecutorService executor, CrashHook crash) {
        this.io = io;
        this.directory = directory;
        this.segmentSize = segmentSize;
        this.executor = executor;
        this.crash = crash;
    }

    /** Starts preparing segment {@code id} with {@code salt}; the future yields the open file. */
    CompletableFuture<StorageFile> prepare(long id, long salt) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return create(id, salt);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, executor);
    }

    /**
     * Waits for a prepared segment without giving up on an interrupt (the interrupt is kept for
     * the caller): closing must not leave a preparation running, nor count an interrupt as its
     * failure.
     */
    static StorageFile awaitUninterruptibly(CompletableFuture<StorageFile> future) throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return await(future);
                } catch (java.io.InterruptedIOException e) {
                    interrupted = true;
                    Thread.interrupted();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits for a prepared segment, unwrapping the I/O failure. */
    static StorageFile await(CompletableFuture<StorageFile> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for a log segment");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof java.io.UncheckedIOException u) {
                throw new IOException("preparing the next log segment failed: " + u.getCause().getMessage(),
                        u.getCause());
            }
            throw new IOException("preparing a log segment failed", c);
        }
    }

    StorageFile create(long id, long salt) throws IOException {
        Path target = directory.resolve(WalFormat.fileName(id));
        Path temp = directory.resolve(WalFormat.fileName(id) + TEMP_SUFFIX);
        StorageFile file = io.openForWrite(temp);
        try {
            file.truncate(0);
            file.write(ByteBuffer.wrap(WalFormat.header(id, salt, System.currentTimeMillis())), 0);
            ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(ZERO_CHUNK, segmentSize));
            for (long at = WalFormat.HEADER_SIZE; at < segmentSize; ) {
                zeros.clear();
                zeros.limit((int) Math.min(zeros.capacity(), segmentSize - at));
                int n = zeros.remaining();
                file.write(zeros, at);
                at += n;
                crash.reached(CrashPoint.SEGMENT_PREPARE_MID_FILL);
                file.sync();
            }
            file.sync();
            file.close();
            crash.reached(CrashPoint.SEGMENT_PREPARE_BEFORE_RENAME);
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(e, file);
            throw e;
        }
        io.move(temp, target);
        crash.reached(CrashPoint.SEGMENT_PREPARE_AFTER_RENAME);
        io.syncDirectory(directory);
        return io.openForWrite(target);
    }
}
