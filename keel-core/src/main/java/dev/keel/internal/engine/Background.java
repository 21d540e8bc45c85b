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
 * segments ahead of need, one runs checkpoints, and in GROUP mode one syncs the log every window.
 * They are separate so that a long checkpoint can delay neither a segment nor a group sync.
 */
final class Background {
    private final ExecutorService allocator;
    private final ScheduledExecutorService checkpoints;
    private final ScheduledExecutorService syncer;
    private final KeelOptions options;

    Background(Path directory, KeelOptions options) {
        this.options = options;
        String name = directory.getFileName() == null ? directory.toString() : directory.getFileName().toString();
        this.allocator = Executors.newSingleThreadExecutor(daemon("keel-segments-" + name));
        this.checkpoints = Executors.newSingleThreadScheduledExecutor(daemon("keel-checkpoint-" + name));
        this.syncer = options.durability() == Durability.GROUP
                ? Executors.newSingleThreadScheduledExecutor(daemon("keel-group-sync-" + name)) : null;
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    ExecutorService allocator() {
        return allocator;
    }

    void start(Engine engine, Checkpointer checkpointer, WalWriter wal) {
        checkpointer.start(checkpoints);
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

    /** Stops scheduling and waits for a running checkpoint or sync to finish. */
    void stop() {
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
        checkpoints.shutdownNow();
        allocator.shutdownNow();
        if (syncer != null) {
            syncer.shutdownNow();
        }
    }
}
