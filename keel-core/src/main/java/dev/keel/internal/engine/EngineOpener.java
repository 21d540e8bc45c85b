package dev.keel.internal.engine;

import dev.keel.EntityType;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.StorageException;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaPlanner;
import dev.keel.internal.entity.SystemTypes;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.recovery.Recovery;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The boot of an {@link Engine}: INIT (directory, lock, file system check), MIGRATE (checkpoint
 * and log read, schema planned against the declared types, checkpoint converted in memory), the
 * recovery phase of the mode (log replayed and converted, data validated, indexes built, repairs),
 * WARMUP (the engine: log writer, migration commit and steps, background work), READY. The
 * system types ({@link SystemTypes}) are declared at every open besides the user's. On any
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
            SchemaPlanner.Plan plan = plan(recovery.storedSchema(), options.entityTypes(), options)
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

    /**
     * What an open declaring {@code declared} plans against {@code stored}: the system types are
     * always declared too (stored types not declared stay as they are); without declared types the
     * stored schema is used as it is and user migration steps are not checked.
     *
     * @throws IllegalArgumentException a type is declared twice
     */
    static SchemaPlanner.Plan plan(Schema stored, List<EntityType> declared, KeelOptions options) {
        Set<String> names = new HashSet<>();
        for (EntityType t : declared) {
            if (!names.add(Objects.requireNonNull(t, "declared type").name())) {
                throw new IllegalArgumentException("entity type " + t.name() + " is declared twice");
            }
        }
        return SchemaPlanner.plan(stored, SystemTypes.withSystemTypes(declared), declared.isEmpty() ? null
                : options.migrations().stream().map(dev.keel.MigrationStep::name).toList());
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
