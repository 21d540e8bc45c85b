package dev.keel;

import dev.keel.internal.engine.Engine;
import dev.keel.internal.entity.SchemaPlanner;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An open KeelDB database: one directory, held exclusively by this process.
 *
 * <p><b>Durability.</b> A commit returns when it is durable under {@link KeelOptions#durability()}:
 * in the default {@link Durability#SYNC} mode its log record has been synced to stable storage, so
 * no crash or power loss can lose it. After any crash, {@link #open} recovers every acknowledged
 * commit and no part of an unacknowledged transaction (see {@link RecoveryReport}).
 *
 * <p><b>Failures.</b> If a log write, log sync or checkpoint fails, the database moves to the failed
 * state: every later write throws {@link DatabaseFailedException} carrying the first failure, reads
 * of already-acknowledged data still work, and reopening runs recovery.
 *
 * <p><b>Opening.</b> {@link #open} runs the boot phases ({@link BootPhase}) on the calling thread,
 * within the time budgets of {@link KeelOptions#bootBudgets()}, telling
 * {@link KeelOptions#bootListener()} its progress; {@link KeelBoot#start} runs them on a background
 * thread so progress and health can be polled while opening (for startup probes).
 *
 * <p><b>Thread-safety.</b> All methods are thread-safe. Transactions are confined to the thread
 * using them; snapshots may be shared. Readers never block writers; writers run concurrently and
 * are serialized only for the short commit step.
 */
public final class KeelDb implements AutoCloseable {
    private final Engine engine;

    private KeelDb(Engine engine) {
        this.engine = engine;
    }

    /**
     * Opens (creating if needed) the database in {@code directory}: takes the process lock, loads the
     * newest checkpoint, replays the log after it, repairs a torn tail, and applies newly declared
     * entity types.
     *
     * @throws DatabaseLockedException another process or instance holds the directory
     * @throws CorruptionException damage that {@link RecoveryMode#NORMAL} will not repair
     * @throws SchemaMismatchException a declared type differs from the stored one in a way no automatic
     *         migration covers (each problem is listed with the declaration that fixes it)
     * @throws MigrationException existing data breaks a rule the declared schema adds, a log record
     *         could not be converted under {@link KeelOptions.Builder#strictMigration}, or a
     *         {@link MigrationStep} failed; see "Schema evolution" in the README
     * @throws StorageException an I/O error
     * @throws BootBudgetExceededException a phase of opening ran past its {@link BootBudgets budget}
     *         (nothing was changed on disk)
     */
    public static KeelDb open(Path directory, KeelOptions options) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(options, "options");
        return new KeelDb(Engine.open(directory, options));
    }

    /** The engine behind this database: a hook for tests in this package (e.g. its index check), not API. */
    Engine engine() {
        return engine;
    }

    /** Wraps an engine that finished opening; for {@link KeelBoot}. */
    static KeelDb of(Engine engine) {
        return new KeelDb(engine);
    }

    /** Opens with {@link KeelOptions#defaults()}. */
    public static KeelDb open(Path directory) {
        return open(directory, KeelOptions.defaults());
    }

    /**
     * Runs {@code work} in a transaction and commits it when {@code work} returns; rolls back and
     * rethrows when it throws. On a {@link ConflictException} the whole function runs again, up to
     * {@link KeelOptions#maxConflictRetries()} times, so it must not have side effects outside the
     * transaction. After three conflicts an attempt runs exclusively (other commits wait for it), so
     * a writer on a hot entity is not starved; {@code work} must therefore not wait for another
     * writer. Returns {@code work}'s result once the commit is durable.
     */
    public <T> T write(Function<? super Transaction, T> work) {
        Objects.requireNonNull(work, "work");
        return engine.write(work);
    }

    /**
     * Runs {@code work} in a write transaction at most once per {@code key}, and answers a retry of
     * the same request with the stored result of the first run; for clients that retry writes after
     * a timeout or a lost connection (the server's {@code Idempotency-Key}).
     *
     * <ul>
     *   <li><b>First run:</b> {@code work} runs in a write transaction (retried on conflicts as by
     *       {@link #write}, so it must have no side effects outside the transaction and must not
     *       commit or roll it back) and returns the response bytes. The same transaction stores an
     *       idempotency record (the key, a SHA-256 fingerprint of {@code request}, the response, the
     *       creation and expiry times). Returns the response with {@code replayed == false}.</li>
     *   <li><b>Retry:</b> when an unexpired record for the key exists and its fingerprint equals
     *       {@code request}'s, {@code work} does not run, nothing is written, and the stored response is
     *       returned with {@code replayed == true} and the first run's {@code commitLsn} and
     *       {@code createdAt}. A different request throws {@link IdempotencyKeyException} with reason
     *       {@code REUSED_WITH_DIFFERENT_REQUEST}.</li>
     *   <li><b>Concurrent:</b> while a call with the key runs in this process, another one throws
     *       {@link IdempotencyKeyException} with reason {@code IN_PROGRESS} at once (it does not
     *       wait). A writer that gets past that (another instance over the same files) loses at
     *       commit on the record's unique key, writes nothing, and answers from the winner's record.</li>
     *   <li><b>Failure:</b> when {@code work} throws, nothing is stored and its exception propagates
     *       unchanged; a retry runs it again.</li>
     *   <li><b>Expiry:</b> a record expires {@link KeelOptions#idempotencyKeyTtl()} (default 24 h)
     *       after its first run committed, by {@link KeelOptions#clock()}; an expired record counts as
     *       absent (the work runs again and replaces it) and is deleted by the purge
     *       ({@link #purgeExpiredIdempotencyKeys()}).</li>
     * </ul>
     *
     * <p><b>Durability.</b> The record is written in the same transaction as the work's writes, so
     * it is exactly as durable and atomic as they are: after any crash both are present or neither
     * (never a write without its key, never a key without its write). Under {@link Durability#SYNC}
     * both are durable when this returns. A replay answers only from durable commits: under GROUP and
     * ASYNC it first syncs the log if the record's commit is not synced yet (a failing sync fails it).
     *
     * <p><b>Thread-safety.</b> Thread-safe; {@code work} runs on the calling thread.
     *
     * <p>The records are entities of the system type {@code keel_idempotency}: readable with
     * {@link #snapshot()}, hidden from {@link #schema()}, not exported, not writable by transactions.
     *
     * @param key     1 to 255 visible ASCII characters (0x21 to 0x7E)
     * @param request the bytes that identify the request (e.g. method, path and body); only their
     *                SHA-256 is stored
     * @param work    the write; returns the response bytes (not null; an empty array for none)
     * @throws IllegalArgumentException the key is missing, empty, longer than 255 characters or has a
     *         character outside 0x21..0x7E
     * @throws IllegalStateException {@code work} returned null (nothing was written)
     * @throws IdempotencyKeyException the key is in progress or was used for another request
     * @throws ReadOnlyException the database was opened read-only
     */
    public IdempotentResult writeIdempotent(String key, byte[] request, Function<? super Transaction, byte[]> work) {
        return engine.idempotentWrites().write(key, request, work);
    }

    /**
     * Deletes the idempotency records that have expired by now ({@link KeelOptions#idempotencyKeyTtl()}),
     * at most 1,000 per transaction, and returns how many. The database also does this in the
     * background every {@link KeelOptions#idempotencyPurgeInterval()} (default 1 minute) while it is
     * ready and writable; a failing background purge logs a warning and tries again next time.
     * Records that have expired but are not purged yet are already treated as absent.
     *
     * @throws ReadOnlyException the database was opened read-only
     */
    public long purgeExpiredIdempotencyKeys() {
        return engine.idempotentWrites().purgeExpired();
    }

    /**
     * Plans a change to {@code declared} types against the stored schema without applying it: the
     * changes an open declaring exactly these types would make, and the problems that would make it
     * refuse (see "Schema evolution" in the README). Rules that need the data checked (tightened
     * rules, new required fields, new unique indexes) are only checked when the change is applied at
     * open. The user migration steps checked are those this database was opened with. Changes
     * nothing; thread-safe.
     *
     * @throws IllegalArgumentException a type is declared twice
     */
    public SchemaChangePlan planSchema(List<EntityType> declared) {
        Objects.requireNonNull(declared, "declared");
        SchemaPlanner.Plan plan = engine.planSchema(declared);
        return new SchemaChangePlan(plan.changes(), plan.problems());
    }

    /** Like {@link #write} for work that returns nothing. */
    public void execute(Consumer<? super Transaction> work) {
        Objects.requireNonNull(work, "work");
        engine.write(tx -> {
            work.accept(tx);
            return null;
        });
    }

    /** Runs {@code work} on a snapshot of the latest acknowledged commit. */
    public <T> T read(Function<? super Snapshot, T> work) {
        Objects.requireNonNull(work, "work");
        return work.apply(engine.snapshot());
    }

    /** A snapshot of the latest acknowledged commit. */
    public Snapshot snapshot() {
        return engine.snapshot();
    }

    /**
     * Begins an explicit transaction. Use it in try-with-resources: {@code close()} rolls back unless
     * {@link Transaction#commit()} was called. Conflicts are not retried automatically.
     */
    public Transaction begin() {
        return engine.begin();
    }

    /**
     * Writes a checkpoint of the latest acknowledged state now and retires log segments it covers.
     * Writes continue while it runs. Returns the checkpoint's LSN.
     */
    public long checkpoint() {
        return engine.checkpoint();
    }

    /**
     * Writes a consistent online backup of the latest acknowledged commit into {@code destination}
     * (created; it must not exist or be empty), then reads it back in full and checks it. Writes go
     * on while it runs. The backup is a directory that {@link #open} opens as a database; copy it
     * to restore (or use {@code keel restore}).
     *
     * @throws IllegalArgumentException {@code destination} exists and is not an empty directory
     * @throws StorageException writing or verifying the backup failed (nothing in this database is
     *         affected; a partial backup directory is removed)
     */
    public BackupResult backup(Path destination) {
        Objects.requireNonNull(destination, "destination");
        return engine.backup(destination);
    }

    /**
     * Adds {@code index} to the entity type {@code type} while the database keeps serving reads and
     * writes: the index is built from a snapshot, caught up with the commits made meanwhile during a
     * short pause of commits, and made durable by a synced schema record before this returns (a
     * crash before that leaves no index; after it, every open builds it). Queries use it from then on.
     * Creating an index equal to an existing one does nothing. Declare it in code too
     * ({@link EntityType.Builder#index}): an open whose declared types lack it drops it.
     *
     * @throws ConstraintViolationException a unique index that existing entities break (naming them);
     *         nothing was written
     * @throws IllegalArgumentException an unknown type or field, a VECTOR field, or another index of
     *         that name
     * @throws ReadOnlyException in READ_ONLY mode
     */
    public void createIndex(String type, Index index) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(index, "index");
        engine.createIndex(type, index);
    }

    /** What recovery found and did when this instance opened. */
    public RecoveryReport recoveryReport() {
        return engine.recoveryReport();
    }

    /**
     * The health of the database now: overall status, probe answers and each component (see
     * {@link Health}). Cheap enough to call from a probe every second.
     */
    public Health health() {
        return engine.health();
    }

    /** The current phase: {@link BootPhase#READY} while open, FAILED after a storage failure, CLOSED. */
    public BootPhase phase() {
        return engine.boot().phase();
    }

    /** What opening cost and did: phase durations, records replayed, bytes read, repairs. */
    public BootMetrics bootMetrics() {
        return engine.bootMetrics();
    }

    /**
     * The entity types stored in the database, in the order they were first stored, without the
     * system types (names starting with {@code keel_}, such as {@code keel_idempotency}, which holds
     * the records of {@link #writeIdempotent}); snapshots can still read those.
     */
    public List<EntityType> schema() {
        return engine.schema();
    }

    /** The first fatal storage failure, if the database is in the failed state. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(engine.failure());
    }

    /** The database directory. */
    public Path directory() {
        return engine.directory();
    }

    /**
     * Closes the database: waits for in-flight commits, writes a checkpoint (unless failed or
     * read-only), syncs and releases the lock. Idempotent.
     */
    @Override
    public void close() {
        engine.close();
    }

    /**
     * Counters since this instance opened: commits, log syncs and bytes, group-commit batches,
     * checkpoints (see {@link DatabaseStatistics}). A counter moves only after what it counts
     * succeeded: a commit once acknowledged, a checkpoint once installed. Cheap (a few volatile
     * reads), for metrics scrapes. Thread-safe; also works after close (the last values).
     */
    public DatabaseStatistics statistics() {
        return dev.keel.internal.engine.EngineStatistics.of(engine);
    }
}
