package dev.keel.internal.engine;

import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.fault.CrashHook;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.checkpoint.CheckpointWriter;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.store.Store;
import dev.keel.internal.wal.WalWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides when to checkpoint and runs checkpoints, one at a time.
 *
 * <p>Ordering: a checkpoint (1) syncs the log, so everything it holds is durable in the log too;
 * (2) writes the latest published store version, which is immutable, so commits go on meanwhile;
 * (3) installs it atomically (see {@link CheckpointWriter}); (4) only then deletes older checkpoints
 * and retires log segments whose records are all at or below its LSN.
 *
 * <p>Triggers: log bytes since the last checkpoint reaching the configured size, or a projected
 * recovery time over half the recovery budget ({@link RecoveryTimeBound}), both checked after each
 * commit and every second; the configured interval passing with new commits; an explicit call; and
 * clean close. A failure is fatal for the database (it moves to FAILED).
 */
final class Checkpointer {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

    private final Engine engine;
    private final FileIO io;
    private final CrashHook crash;
    private final Path directory;
    private final WalWriter wal;
    private final long logSizeTrigger;
    private final long intervalNanos;
    private final AtomicBoolean queued = new AtomicBoolean();
    private final Object running = new Object();
    private volatile long lastLsn;
    private volatile long bytesAtLast;
    private volatile long lastNanos = System.nanoTime();
    private volatile ScheduledExecutorService executor;
    private final RecoveryTimeBound bound;
    private final java.time.InstantSource clock;
    private volatile java.time.Instant lastCheckpointAt;
    /** Checkpoints installed, and how long the last one took; written under {@code running}. */
    private volatile long installed;
    private volatile java.time.Duration lastDuration;

    /**
     * {@code recoveredLogBytes}: log bytes after the recovered checkpoint that stayed in the log
     * (they count toward the next recovery as much as new ones do).
     */
    Checkpointer(Engine engine, FileIO io, CrashHook crash, Path directory, WalWriter wal, long logSizeTrigger, long intervalNanos,
            long recoveredCheckpointLsn, long recoveredLogBytes, RecoveryTimeBound bound, java.time.InstantSource clock) {
        this.bound = bound;
        this.clock = clock;
        this.bytesAtLast = -recoveredLogBytes;
        this.engine = engine;
        this.io = io;
        this.crash = crash;
        this.directory = directory;
        this.wal = wal;
        this.logSizeTrigger = logSizeTrigger;
        this.intervalNanos = intervalNanos;
        this.lastLsn = recoveredCheckpointLsn;
    }

    void start(ScheduledExecutorService executor) {
        this.executor = executor;
        executor.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    /** Called after each commit: queues a checkpoint when the log grew past the trigger. */
    void afterCommit() {
        if (due() && queued.compareAndSet(false, true)) {
            ScheduledExecutorService e = executor;
            if (e != null && !e.isShutdown()) {
                e.execute(this::runQueued);
            } else {
                queued.set(false);
            }
        }
    }

    /** Log bytes since the last checkpoint reached the size trigger or the recovery-time bound. */
    private boolean due() {
        long since = logBytesSinceCheckpoint();
        return since >= logSizeTrigger || bound.needsCheckpoint(since);
    }

    /** Log bytes written since the last checkpoint: what the next recovery would replay. */
    long logBytesSinceCheckpoint() {
        return wal.bytesAppended() - bytesAtLast;
    }

    /** LSN of the last checkpoint (0 for none). */
    long lastCheckpointLsn() {
        return lastLsn;
    }

    /** When this instance last wrote a checkpoint, or null if it did not yet. */
    java.time.Instant lastCheckpointAt() {
        return lastCheckpointAt;
    }

    RecoveryTimeBound bound() {
        return bound;
    }

    private void runQueued() {
        queued.set(false);
        background();
    }

    private void tick() {
        boolean bySize = due();
        boolean byTime = System.nanoTime() - lastNanos >= intervalNanos && engine.publishedLsn() > lastLsn;
        if (bySize || byTime) {
            background();
        }
    }

    private void background() {
        if (engine.failure() != null || engine.isClosing()) {
            return;
        }
        try {
            checkpoint(false);
        } catch (dev.keel.DatabaseClosedException e) {
            LOG.trace("checkpoint skipped: closing", e);
        } catch (RuntimeException e) {
            LOG.error("background checkpoint of {} failed", directory, e);
        }
    }

    /**
     * Runs a checkpoint now; returns its LSN. Failures move the database to FAILED.
     * {@code byCaller}: for the application (true) or the background trigger (false).
     */
    long checkpoint(boolean byCaller) {
        synchronized (running) {
            engine.checkWritable(byCaller);
            return checkpointLocked();
        }
    }

    /** The checkpoint of a clean close: the engine refuses new work already, so no writability check. */
    long checkpointOnClose() {
        synchronized (running) {
            if (engine.failure() != null) {
                return lastLsn;
            }
            return checkpointLocked();
        }
    }

    /** Checkpoints this instance installed. */
    long installed() {
        return installed;
    }

    /** How long the last installed checkpoint took, or null if none was. */
    java.time.Duration lastDuration() {
        return lastDuration;
    }

    private long checkpointLocked() {
        long started = System.nanoTime();
        try {
            wal.sync();
            engine.publishSynced();
            Store snapshot = engine.published();
            long bytes = wal.bytesAppended();
            if (snapshot.lsn() == lastLsn && lastLsn > 0) {
                bytesAtLast = bytes;
                lastNanos = System.nanoTime();
                return lastLsn;
            }
            Path written = new CheckpointWriter(io, directory, crash).write(snapshot);
            crash.reached(CrashPoint.CHECKPOINT_BEFORE_RETIREMENT);
            deleteOlderCheckpoints(snapshot.lsn());
            int retired = wal.retireUpTo(snapshot.lsn());
            lastLsn = snapshot.lsn();
            bytesAtLast = bytes;
            lastNanos = System.nanoTime();
            lastCheckpointAt = clock.instant();
            lastDuration = java.time.Duration.ofNanos(System.nanoTime() - started);
            installed++;
            LOG.debug("checkpoint {} installed, {} log segments retired", written.getFileName(), retired);
            return lastLsn;
        } catch (IOException | RuntimeException e) {
            throw engine.fail("checkpoint", e);
        }
    }

    private void deleteOlderCheckpoints(long lsn) throws IOException {
        boolean deleted = false;
        for (Path f : io.list(directory)) {
            long other = CheckpointFormat.parseLsn(f.getFileName().toString());
            if (other >= 0 && other < lsn) {
                io.delete(f);
                deleted = true;
                crash.reached(CrashPoint.CHECKPOINT_MID_OLD_DELETE);
            }
        }
        if (deleted) {
            io.syncDirectory(directory);
        }
    }
}
