package dev.keel.internal.engine;

import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.StorageException;
import dev.keel.internal.entity.SchemaPlanner;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.recovery.Recovery;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The boot of an {@link Engine}: INIT (directory, lock, file system check), MIGRATE (checkpoint
 * and log read, schema planned against the declared types, checkpoint converted in memory), the
 * recovery phase of the mode (log replayed and converted, data validated, indexes built, repairs),
 * WARMUP (the engine: log writer, migration commit and steps, background work), READY. On any
 * failure the boot moves to FAILED keeping the cause, everything opened so far is closed and the
 * lock released.
 */
final class EngineOpener {
    private EngineOpener() {
    }

    /**
     * Opens the database through the phases of {@code boot}: INIT (directory, lock, file system
     * check), MIGRATE (checkpoint), the recovery phase of the mode (log), WARMUP (schema, log
     * writer, background work), READY. On any failure the boot moves to FAILED keeping the cause,
     * everything opened so far is closed and the lock released.
     */
    static Engine open(Path directory, KeelOptions options, BootSequence boot) {
        FileIO io = options.fileIO();
        RecoveryMode mode = options.recoveryMode();
        boolean readOnly = mode == RecoveryMode.READ_ONLY;
        java.time.Instant openedAt = options.clock().instant();
        ProcessLock lock = null;
        Engine engine = null;
        boot.start();
        try {
            if (readOnly) {
                if (!io.exists(directory)) {
                    throw new IllegalArgumentException("database directory " + directory + " does not exist;"
                            + " READ_ONLY mode does not create one");
                }
            } else {
                io.createDirectories(directory);
            }
            lock = ProcessLock.acquire(io, directory, readOnly);
            dev.keel.Health.Component fsCheck = FileSystemCheck.run(io, directory, readOnly, lock.osLocked());
            boot.moveTo(dev.keel.BootPhase.MIGRATE);
            Recovery recovery = Recovery.begin(io, directory, mode, options.crashHook(), boot);
            recovery.loadCheckpoint();
            // Without declared types the stored schema is used as it is (and steps are not checked).
            SchemaPlanner.Plan plan = SchemaPlanner.plan(recovery.storedSchema(), options.entityTypes(),
                    options.entityTypes().isEmpty() ? null
                            : options.migrations().stream().map(dev.keel.MigrationStep::name).toList())
                    .requireCompatible();
            recovery.migrate(plan.target(), plan.toValidate(), options.strictMigration());
            boot.moveTo(dev.keel.BootPhase.recoveryPhase(mode));
            Recovery.Result recovered = recovery.replayLog();
            boot.moveTo(dev.keel.BootPhase.WARMUP);
            engine = new Engine(directory, options, lock, recovered, plan, boot, fsCheck, openedAt);
            if (!boot.moveToUnlessFailed(dev.keel.BootPhase.READY)) {
                Throwable cause = engine.failure();
                throw new StorageException("cannot open database " + directory + ": it failed while warming up: "
                        + cause + engine.diskFullHint(cause) + ". Nothing acknowledged is lost; fix the cause and open"
                        + " it again", cause);
            }
            return engine;
        } catch (IOException e) {
            StorageException failure = new StorageException("cannot open database " + directory + ": " + e, e);
            abandon(boot, engine, lock, failure);
            throw failure;
        } catch (RuntimeException | Error e) {
            abandon(boot, engine, lock, e);
            throw e;
        }
    }

    /** A boot that failed: FAILED with its cause, the engine (if built) stopped, the lock released. */
    private static void abandon(BootSequence boot, Engine engine, ProcessLock lock, Throwable failure) {
        boot.fail(failure);
        if (engine != null) {
            engine.closed.set(true);
            engine.stopAfterFailedBoot(failure);
        }
        closeLock(lock, failure);
    }

    private static void closeLock(ProcessLock lock, Throwable primary) {
        if (lock != null) {
            try {
                lock.close();
            } catch (IOException e) {
                primary.addSuppressed(e);
            }
        }
    }
}
