package dev.keel.internal.engine;

import dev.keel.Durability;
import dev.keel.KeelOptions;
import dev.keel.internal.wal.WalWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The database's background threads, all daemons named after the directory: one prepares log
 * segments ahead of need, one runs checkpoints, one purges expired idempotency records every
 * {@link KeelOptions#idempotencyPurgeInterval()}, and in GROUP mode one syncs the log every window.
 * They are separate so that a long checkpoint can delay neither a segment nor a group sync, and a
 * long purge (its commits wait for log syncs) delays no checkpoint.
 */
final class Background {
    private final ExecutorService allocator;
    private final ScheduledExecutorService checkpoints;
    private final ScheduledExecutorService syncer;
    private final ScheduledExecutorService purge;
    private final KeelOptions options;

    Background(Path directory, KeelOptions options) {
        this.options = options;
        String name = directory.getFileName() == null ? directory.toString() : directory.getFileName().toString();
        this.allocator = Executors.newSingleThreadExecutor(daemon("keel-segments-" + name));
        this.checkpoints = Executors.newSingleThreadScheduledExecutor(daemon("keel-checkpoint-" + name));
        this.purge = Executors.newSingleThreadScheduledExecutor(daemon("keel-idempotency-purge-" + name));
        this.syncer = options.durability() == Durability.GROUP
                ? Executors.newSingleThreadScheduledExecutor(daemon("keel-group-sync-" + name)) : null;
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Worker(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The threads of this class: work on them is not a caller's, so the errors it meets reach nobody yet. */
    private static final class Worker extends Thread {
        Worker(Runnable r, String name) {
            super(r, name);
        }
    }

    /** Whether the current thread is one of the background threads of some database. */
    static boolean onBackgroundThread() {
        return Thread.currentThread() instanceof Worker;
    }

    ExecutorService allocator() {
        return allocator;
    }

    void start(Engine engine, Checkpointer checkpointer, WalWriter wal, IdempotentWrites idempotent) {
        checkpointer.start(checkpoints);
        long every = options.idempotencyPurgeInterval().toNanos();
        purge.scheduleWithFixedDelay(idempotent::purgeInBackground, every, every, TimeUnit.NANOSECONDS);
        if (syncer != null) {
            long window = options.groupCommitWindow().toNanos();
            syncer.scheduleAtFixedRate(() -> {
                // The log's own health decides, not the engine's: a database FAILED by something
                // else (a checkpoint, a segment preparation) still owes its acknowledged commits
                // the sync within the window.
                if (wal.failure() != null || wal.writtenLsn() <= wal.durableLsn()) {
                    return;
                }
                try {
                    wal.sync();
                } catch (IOException | RuntimeException e) {
                    engine.fail("group-commit log sync", e);
                }
            }, window, window, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Stops the purge and waits for a running one to end (it stops between batches once the engine
     * is closing). Must not be called holding the commit lock: the purge may be waiting for it.
     */
    void stopPurge() {
        stopAndWait(purge);
    }

    /** Stops scheduling and waits for a running checkpoint, purge or sync to finish. */
    void stop() {
        stopAndWait(purge);
        stopAndWait(checkpoints);
        if (syncer != null) {
            stopAndWait(syncer);
        }
    }

    private static void stopAndWait(ExecutorService e) {
        e.shutdown();
        try {
            if (!e.awaitTermination(5, TimeUnit.MINUTES)) {
                e.shutdownNow();
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            e.shutdownNow();
        }
    }

    void shutdownNow() {
        purge.shutdownNow();
        checkpoints.shutdownNow();
        allocator.shutdownNow();
        if (syncer != null) {
            syncer.shutdownNow();
        }
    }
}
