package dev.keel.internal.engine;

import dev.keel.ConflictException;
import dev.keel.DatabaseClosedException;
import dev.keel.DatabaseFailedException;
import dev.keel.Durability;
import dev.keel.EntityType;
import dev.keel.KeelException;
import dev.keel.KeelOptions;
import dev.keel.ReadOnlyException;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.Snapshot;
import dev.keel.StorageException;
import dev.keel.Transaction;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.entity.SchemaPlanner;
import dev.keel.internal.entity.SystemTypes;
import dev.keel.internal.recovery.Recovery;
import dev.keel.internal.store.IndexCheck;
import dev.keel.internal.store.Store;
import dev.keel.internal.tx.SnapshotView;
import dev.keel.internal.tx.TransactionImpl;
import dev.keel.internal.tx.TxContext;
import dev.keel.internal.wal.WalRecord;
import dev.keel.internal.wal.WalWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wiring and lifecycle of an open database: lock, recovery, schema, commit pipeline, checkpoints,
 * failure state and close.
 *
 * <p>Ordering: commits are validated and appended to the log one at a time under
 * {@code commitLock}, which also advances {@code head}, the newest (possibly not yet durable) store
 * version. Waiting for durability happens outside the lock, so committers overlap and share syncs.
 * A version is published to readers only when the log covers it under the durability mode (synced
 * for SYNC, written to the OS for GROUP and ASYNC), in LSN order, so a reader never sees a commit
 * that a crash could take back, nor a later commit without an earlier one.
 *
 * <p>Failure: the first fatal storage error (log write or sync, checkpoint) is kept; from then on
 * writes fail fast with {@link DatabaseFailedException} carrying it, while reads of published data
 * go on. Nothing is retried. Reopening runs recovery.
 */
public final class Engine implements TxContext {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    /** Conflicts after which {@link #write} runs an attempt exclusively. */
    static final int EXCLUSIVE_AFTER_CONFLICTS = 3;

    private final Path directory;
    private final KeelOptions options;
    private final ProcessLock lock;
    private final RecoveryReport report;
    private final WalWriter wal;
    private final Background background;
    private final Checkpointer checkpointer;
    private final IdempotentWrites idempotent;
    private final BootSequence boot;
    private final dev.keel.Health.Component fileSystemCheck;
    /** Recovery's measurements for boot metrics (not the Result: it holds the boot-time store version). */
    private final long recordsQuarantined;
    private final double replayBytesPerSecond;
    private final java.time.Instant openedAt;
    private final ReentrantLock commitLock = new ReentrantLock();
    /** Serializes {@link #createIndex} calls (each derives its schema from the published one). */
    private final Object indexBuildLock = new Object();
    private final Object publishLock = new Object();
    private final ArrayDeque<Store> unpublished = new ArrayDeque<>();
    private final Map<Integer, AtomicLong> nextIds = new ConcurrentHashMap<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    final AtomicBoolean closed = new AtomicBoolean();
    private final ByteWriter scratch = new ByteWriter(4096);
    private Store head;
    private volatile Store published;
    /** Whether some caller got an exception carrying the failure (else close reports it). */
    private volatile boolean failureDelivered;
    /** Commits acknowledged since open, for {@link EngineStatistics}. */
    final java.util.concurrent.atomic.LongAdder commits = new java.util.concurrent.atomic.LongAdder();

    Engine(Path directory, KeelOptions options, ProcessLock lock, Recovery.Result recovered,
            SchemaPlanner.Plan plan, BootSequence boot, dev.keel.Health.Component fileSystemCheck,
            java.time.Instant openedAt) throws IOException {
        this.directory = directory;
        this.options = options;
        this.lock = lock;
        this.boot = boot;
        this.fileSystemCheck = fileSystemCheck;
        this.openedAt = openedAt;
        this.report = recovered.report();
        this.recordsQuarantined = recovered.recordsQuarantined();
        this.replayBytesPerSecond = recovered.replayBytesPerSecond();
        this.idempotent = new IdempotentWrites(this);
        // Recovery migrated the checkpoint and the replayed records to plan.target() in memory.
        Store store = recovered.store();
        boolean readOnly = options.recoveryMode() == RecoveryMode.READ_ONLY;
        // Recovery checked the data of types whose rules tightened (plan.toValidate()) before it
        // changed anything on disk.
        // Recovery also built the indexes of plan.target() there (a unique index the data breaks
        // fails the open before anything is written).
        if (readOnly) {
            this.wal = null;
            this.background = null;
            this.checkpointer = null;
        } else {
            this.background = new Background(directory, options);
            this.wal = new WalWriter(options.fileIO(), directory, options.segmentSizeInBytes(),
                    background.allocator(), recovered.lastLsn(), recovered.nextSegmentId(), recovered.retained(),
                    options.crashHook(), this::segmentPreparationFailed);
            wal.schemaVersion(store.schema().version());
            this.checkpointer = new Checkpointer(this, options.fileIO(), options.crashHook(), directory, wal,
                    options.checkpointLogSizeInBytes(), options.checkpointInterval().toNanos(),
                    recovered.report().checkpointLsn(), recovered.logBytesAfterCheckpoint(),
                    new RecoveryTimeBound(recovered.replayBytesPerSecond(),
                            options.bootBudgets().budget(dev.keel.BootPhase.RECOVER).orElse(null)),
                    options.clock());
        }
        if (!store.indexed()) {
            store = store.withIndexes(); // READ_ONLY and FORCE paths that skip the migration step
        }
        this.head = store;
        this.published = store;
        for (var t : store.schema().types()) {
            nextIds.put(t.typeId(), new AtomicLong(store.nextId(t.typeId())));
        }
        if (!readOnly) {
            try {
                if (plan.changed()) {
                    LOG.info("database {}: migrating the schema to version {}: {}", directory,
                            plan.target().version(), String.join("; ", plan.changes()));
                    storeSchema(plan.target());
                } else if (!recovered.schemaDurable()) {
                    // The files end with an older version (the record of this one was cut with a torn
                    // tail): write it again before any put is stamped with it.
                    LOG.warn("database {}: schema version {} is not in the recovered files; writing it again",
                            directory, plan.target().version());
                    storeSchema(plan.target());
                }
                SchemaMigration.runSteps(directory, options.migrations(), new SchemaMigration.Committer() {
                    @Override
                    public Store head() {
                        return head;
                    }

                    @Override
                    public long nextCommitLsn(int records) {
                        return wal.nextLsn() + records;
                    }

                    @Override
                    public void commit(List<WalRecord> records, Store.Batch batch, long commitLsn,
                            java.util.function.Consumer<Store> check) throws IOException {
                        commitDuringOpen(records, batch, commitLsn, check);
                    }
                });
                background.start(this, checkpointer, wal, idempotent);
            } catch (IOException | RuntimeException e) {
                background.shutdownNow();
                try {
                    wal.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    /** Opens the database: lock, recovery, schema; see {@link dev.keel.KeelDb#open}. */
    public static Engine open(Path directory, KeelOptions options) {
        return open(directory, options, newBoot(directory, options));
    }

    /** A boot sequence for opening {@code directory} with {@code options}. */
    public static BootSequence newBoot(Path directory, KeelOptions options) {
        return new BootSequence(directory, options.clock(), options.bootBudgets(), options.bootListener());
    }

    /**
     * Opens the database through the phases of {@code boot}; see {@link EngineOpener#open}.
     */
    public static Engine open(Path directory, KeelOptions options, BootSequence boot) {
        return EngineOpener.open(directory, options, boot);
    }

    /** Stops background work and closes the log without a checkpoint: opening was abandoned in WARMUP. */
    void stopAfterFailedBoot(Throwable primary) {
        // Background work must have ended before the lock is released: a checkpoint still running
        // could otherwise rename or delete files while another instance has the database open.
        if (background != null) {
            background.stop();
        }
        try {
            if (wal != null) {
                wal.close(); // waits for a segment being prepared
            }
        } catch (IOException | RuntimeException e) {
            primary.addSuppressed(e);
        } finally {
            if (background != null) {
                background.shutdownNow();
            }
        }
    }

    /**
     * Commits a schema migration: appends {@code schema} as a SCHEMA record and waits until it is
     * durable. That record is the migration's commit point (see {@link CrashPoint#MIGRATION_BEFORE_COMMIT}).
     */
    private void storeSchema(Schema schema) throws IOException {
        options.crashHook().reached(CrashPoint.MIGRATION_BEFORE_COMMIT);
        ByteWriter out = new ByteWriter(512);
        SchemaCodec.encode(schema, out);
        Store.Batch b = head.batch();
        b.schema(schema);
        commitDuringOpen(List.of(new WalRecord.SchemaChange(out.toByteArray())), b, wal.nextLsn() + 1, next -> { });
        options.crashHook().reached(CrashPoint.MIGRATION_AFTER_COMMIT);
        for (var t : schema.types()) {
            nextIds.putIfAbsent(t.typeId(), new AtomicLong(head.nextId(t.typeId())));
        }
    }

    /**
     * Appends a transaction of the open path (the migration's schema, a migration step's batch),
     * waits until it is durable and makes {@code batch} the head and published version. Only while
     * opening, before background work starts and before any caller can commit.
     */
    private void commitDuringOpen(List<WalRecord> records, Store.Batch batch, long commitLsn,
            java.util.function.Consumer<Store> check) throws IOException {
        commitLock.lock();
        try {
            Store next = batch.apply(commitLsn);
            check.accept(next);
            long lsn = wal.appendTransaction(records, System.currentTimeMillis());
            if (lsn != commitLsn) {
                throw new IllegalStateException("log assigned LSN " + lsn + ", expected " + commitLsn);
            }
            wal.awaitDurable(lsn);
            head = next;
            published = head;
        } finally {
            commitLock.unlock();
        }
    }

    public Path directory() {
        return directory;
    }

    public RecoveryReport recoveryReport() {
        return report;
    }

    public BootSequence boot() {
        return boot;
    }

    public dev.keel.BootMetrics bootMetrics() {
        return boot.metrics(report.recordsReplayed(), report.count(RecoveryReport.EventKind.TORN_TAIL_CUT),
                recordsQuarantined, report.transactionsRolledBack(), replayBytesPerSecond);
    }

    public dev.keel.Health health() {
        return HealthCheck.of(this);
    }

    /** Health of a database that is opening or failed to open. */
    public static dev.keel.Health bootingHealth(BootSequence boot) {
        return HealthCheck.booting(boot);
    }

    dev.keel.Health.Component fileSystemCheck() {
        return fileSystemCheck;
    }

    java.time.Instant openedAt() {
        return openedAt;
    }

    KeelOptions options() {
        return options;
    }

    WalWriter wal() {
        return wal;
    }

    Checkpointer checkpointer() {
        return checkpointer;
    }

    boolean isReadOnly() {
        return wal == null;
    }

    /** The stored entity types without the system types (see {@link SystemTypes}). */
    public List<EntityType> schema() {
        return published.schema().entityTypes().stream().filter(t -> !SystemTypes.isSystem(t.name())).toList();
    }

    /**
     * Plans opening with {@code declared} (plus the system types, as an open adds them) against the
     * newest stored schema, changing nothing; see {@link dev.keel.KeelDb#planSchema}.
     */
    public SchemaPlanner.Plan planSchema(List<EntityType> declared) {
        return EngineOpener.plan(snapshotStore().schema(), declared, options);
    }

    /** Idempotent writes and the purge of their expired records; see {@link dev.keel.KeelDb#writeIdempotent}. */
    public IdempotentWrites idempotentWrites() {
        return idempotent;
    }

    public Throwable failure() {
        return failure.get();
    }

    boolean isClosing() {
        return closed.get();
    }

    Store published() {
        return published;
    }

    long publishedLsn() {
        return published.lsn();
    }

    /**
     * For tests and diagnostics: how the index entries of the published store version differ from
     * the entries rebuilt from its entities (see {@link IndexCheck#problems}); empty when they are
     * equal key for key. Reads one immutable version, so it is safe while writes go on; costs a full
     * index build.
     */
    public List<String> indexProblems() {
        return IndexCheck.problems(published);
    }

    public Snapshot snapshot() {
        if (closed.get()) {
            throw new DatabaseClosedException("database " + directory + " is closed");
        }
        return new SnapshotView(published, directory);
    }

    public Transaction begin() {
        checkWritable();
        return new TransactionImpl(published, directory, this);
    }

    /**
     * Lambda transactions with automatic retry on conflicts. Before a retry it waits until the
     * winning commit is visible (so the retry reads it instead of conflicting again), plus a short
     * random pause that grows with each attempt. After {@link #EXCLUSIVE_AFTER_CONFLICTS} conflicts
     * an attempt runs exclusively: it holds the commit lock, waits until every appended commit is
     * published, and runs on that state, so it cannot conflict; this bounds starvation of a writer
     * on a hot entity at the price of pausing other commits for one run of {@code work}.
     */
    public <T> T write(Function<? super Transaction, T> work) {
        ConflictException last = null;
        for (int attempt = 0; attempt <= options.maxConflictRetries(); attempt++) {
            if (last != null) {
                awaitPublished(last.winnerLsn());
                backOff(attempt);
            }
            boolean exclusive = attempt >= EXCLUSIVE_AFTER_CONFLICTS;
            if (exclusive) {
                commitLock.lock();
            }
            try (Transaction tx = exclusive ? beginExclusive() : begin()) {
                T result = work.apply(tx);
                tx.commit();
                return result;
            } catch (ConflictException e) {
                if (last != null) {
                    e.addSuppressed(last);
                }
                last = e;
            } finally {
                if (exclusive) {
                    commitLock.unlock();
                }
            }
        }
        throw last;
    }

    /** With {@code commitLock} held: a transaction on the newest state, once it is all published. */
    private Transaction beginExclusive() {
        checkWritable();
        awaitPublished(head.lsn());
        return begin();
    }

    private static void backOff(int attempt) {
        long maxMicros = Math.min(5_000, 20L << Math.min(attempt, 8));
        long micros = java.util.concurrent.ThreadLocalRandom.current().nextLong(maxMicros + 1);
        java.util.concurrent.locks.LockSupport.parkNanos(micros * 1_000);
    }

    /**
     * Returns once the commit at {@code lsn} is on stable storage, syncing the log if it is not yet
     * (under GROUP and ASYNC a published commit may be only written). A failed sync fails the
     * database, as in a commit, and throws.
     */
    void awaitDurable(long lsn) {
        if (options.durability() == Durability.SYNC || lsn <= wal.durableLsn()) {
            return;
        }
        checkWritable();
        try {
            wal.awaitDurable(lsn);
        } catch (IOException | RuntimeException e) {
            throw failForCaller("log sync", e);
        }
    }

    /** {@link #awaitPublished} for every commit appended so far. */
    void awaitPublishedHead() {
        long lsn;
        commitLock.lock();
        try {
            lsn = head.lsn();
        } finally {
            commitLock.unlock();
        }
        awaitPublished(lsn);
    }

    /** Waits (bounded, 10 s) until the published version includes {@code lsn} or the database fails. */
    private void awaitPublished(long lsn) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        synchronized (publishLock) {
            while (published.lsn() < lsn && failure.get() == null && !closed.get()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    publishLock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Adds an index while serving writes; see {@link dev.keel.KeelDb#createIndex} and {@link OnlineIndexBuild}. */
    public void createIndex(String typeName, dev.keel.Index index) {
        synchronized (indexBuildLock) {
            checkWritable();
            Store from = published;
            Schema target = OnlineIndexBuild.plan(from.schema(), typeName, index);
            if (target == null) {
                return;
            }
            Store built;
            try {
                built = OnlineIndexBuild.build(from, target);
            } catch (dev.keel.ConstraintViolationException e) {
                throw new dev.keel.ConstraintViolationException(e.type(), e.field(), e.value(), e.rule(), "cannot create "
                        + index + " on " + typeName + ": " + e.getMessage() + "; nothing was written",
                        e.conflictingIds());
            }
            commitLock.lock();
            try {
                checkWritable();
                if (head.schema() != from.schema()) {
                    throw new IllegalStateException("the schema changed while index " + index.name() + " was built");
                }
                long commitLsn = wal.nextLsn() + 1;
                Store next;
                try {
                    next = OnlineIndexBuild.catchUp(built, from, head, commitLsn, typeName);
                } catch (dev.keel.ConstraintViolationException e) {
                    throw new dev.keel.ConstraintViolationException(e.type(), e.field(), e.value(), e.rule(), "cannot"
                            + " create " + index + " on " + typeName + ": entities written while it was built break it ("
                            + e.conflictingIds().stream().map(x -> typeName + "#" + x).toList() + "); nothing was"
                            + " written", e.conflictingIds());
                }
                ByteWriter out = new ByteWriter(512);
                SchemaCodec.encode(target, out);
                long lsn = wal.appendTransaction(List.of(new WalRecord.SchemaChange(out.toByteArray())),
                        System.currentTimeMillis());
                if (lsn != commitLsn) {
                    throw failForCaller("index creation", new IllegalStateException("log assigned LSN " + lsn
                            + ", expected " + commitLsn));
                }
                wal.awaitDurable(lsn);
                wal.schemaVersion(target.version());
                head = next;
                synchronized (publishLock) {
                    // Every version still waiting to be published is older and lacks the index; the
                    // sync above made all of them durable, so the new version replaces them.
                    unpublished.clear();
                    published = next;
                    publishLock.notifyAll();
                }
                LOG.info("database {}: created {} on {} at LSN {}", directory, index, typeName, lsn);
            } catch (IOException e) {
                throw failForCaller("index creation", e);
            } finally {
                commitLock.unlock();
            }
        }
    }

    public long checkpoint() {
        checkWritable();
        try {
            return checkpointer.checkpoint(true);
        } catch (KeelException e) {
            failureDelivered = true;
            throw e;
        }
    }

    /** Writes and verifies a backup of the latest published commit; see {@link dev.keel.KeelDb#backup}. */
    public dev.keel.BackupResult backup(Path destination) {
        Store version = snapshotStore();
        try {
            return BackupWriter.write(options.fileIO(), version, destination);
        } catch (IOException e) {
            throw new StorageException("backup of " + directory + " to " + destination + " failed: " + e
                    + ". The database itself is not affected; the partial backup was removed", e);
        }
    }

    private Store snapshotStore() {
        if (closed.get()) {
            throw new DatabaseClosedException("database " + directory + " is closed");
        }
        return published;
    }

    @Override
    public void checkWritable() {
        checkWritable(true);
    }

    /**
     * Throws unless writes are possible. {@code byCaller}: the exception reaches application code
     * (so a failure it carries counts as reported); false for the background checkpointer.
     */
    void checkWritable(boolean byCaller) {
        if (closed.get()) {
            throw new DatabaseClosedException("database " + directory + " is closed");
        }
        if (wal == null) {
            throw new ReadOnlyException();
        }
        Throwable f = failure.get();
        if (f != null) {
            if (byCaller && !Background.onBackgroundThread()) {
                failureDelivered = true;
            }
            throw new DatabaseFailedException("database " + directory + " failed earlier and accepts no writes until it"
                    + " is reopened (reopening runs recovery; no acknowledged commit is lost): " + f.getMessage()
                    + diskFullHint(f), f);
        }
    }

    @Override
    public Store latest() {
        return published;
    }

    @Override
    public long allocateId(int typeId) {
        // Ids are 1 .. Long.MAX_VALUE - 1 (a stored id must leave a next one); never wrap around.
        long id = nextIds.computeIfAbsent(typeId, k -> new AtomicLong(1))
                .getAndUpdate(next -> next == Long.MAX_VALUE ? next : next + 1);
        if (id == Long.MAX_VALUE) {
            String type = published.schema().byId(typeId) != null ? published.schema().byId(typeId).name()
                    : "type id " + typeId;
            throw new IllegalStateException("the ids of entity type " + type + " are exhausted: the highest id, "
                    + (Long.MAX_VALUE - 1) + ", is taken (an explicit id that high leaves none above it); insert with"
                    + " explicit lower ids instead");
        }
        return id;
    }

    @Override
    public void reserveId(int typeId, long id) {
        nextIds.computeIfAbsent(typeId, k -> new AtomicLong(1)).accumulateAndGet(id + 1, Math::max);
    }

    @Override
    public long commit(TransactionImpl tx) {
        long lsn;
        commitLock.lock();
        try {
            checkWritable();
            List<WalRecord> records = new ArrayList<>(tx.writeCount());
            CommitChecks.checkVersions(tx, head);
            long commitLsn = wal.nextLsn() + tx.writeCount();
            Store.Batch batch = head.batch();
            for (NavigableMap<Long, TransactionImpl.Write> byId : tx.writes().values()) {
                if (!byId.isEmpty()) {
                    batch.reserveIds(byId.firstEntry().getValue().type().typeId(), byId.lastKey() + 1);
                }
                for (TransactionImpl.Write w : byId.values()) {
                    int typeId = w.type().typeId();
                    if (w.value() == null) {
                        batch.delete(typeId, w.id());
                        records.add(new WalRecord.Delete(typeId, w.id()));
                    } else {
                        byte[] value = withVersion(commitLsn, w.value());
                        batch.put(typeId, w.id(), value);
                        records.add(new WalRecord.Put(typeId, w.id(), value));
                    }
                }
            }
            Store next = batch.apply(commitLsn);
            CommitChecks.check(tx, next);
            options.crashHook().reached(CrashPoint.COMMIT_BEFORE_APPEND);
            lsn = wal.appendTransaction(records, System.currentTimeMillis());
            if (lsn != commitLsn) {
                throw failForCaller("commit", new IllegalStateException("log assigned LSN " + lsn + ", expected " + commitLsn));
            }
            head = next;
            synchronized (publishLock) {
                unpublished.add(head);
            }
        } catch (IOException e) {
            throw failForCaller("log append", e);
        } finally {
            commitLock.unlock();
        }
        try {
            if (options.durability() == Durability.SYNC) {
                wal.awaitDurable(lsn);
            } else {
                wal.awaitWritten(lsn);
            }
        } catch (IOException | RuntimeException e) {
            throw failForCaller("log " + (options.durability() == Durability.SYNC ? "sync" : "write"), e);
        }
        options.crashHook().reached(CrashPoint.COMMIT_AFTER_SYNC);
        publishUpTo(options.durability() == Durability.SYNC ? wal.durableLsn() : wal.writtenLsn());
        options.crashHook().reached(CrashPoint.COMMIT_AFTER_PUBLISH);
        commits.increment();
        checkpointer.afterCommit();
        return lsn;
    }

    private byte[] withVersion(long version, byte[] encodedWithZeroVersion) {
        synchronized (scratch) {
            scratch.reset();
            scratch.writeVarLong(version);
            scratch.writeBytes(encodedWithZeroVersion, 1, encodedWithZeroVersion.length - 1);
            return scratch.toByteArray();
        }
    }

    /** Publishes, in LSN order, every store version the log now covers. */
    private void publishUpTo(long lsn) {
        synchronized (publishLock) {
            Store latest = null;
            while (!unpublished.isEmpty() && unpublished.peekFirst().lsn() <= lsn) {
                latest = unpublished.pollFirst();
            }
            if (latest != null && latest.lsn() > published.lsn()) {
                published = latest;
                publishLock.notifyAll();
            }
        }
    }

    /** A background segment preparation failed: the log cannot go on past its current segment. */
    private void segmentPreparationFailed(Throwable cause) {
        if (!closed.get()) {
            fail("log segment preparation", cause);
        }
    }

    /** After a full log sync: publishes every appended commit (all are durable now). */
    void publishSynced() {
        publishUpTo(wal.durableLsn());
    }

    /**
     * Moves the database to FAILED (the first original cause wins; the log's "failed earlier"
     * wrapper is unwrapped) and returns the exception to throw: the caller whose operation hit the
     * failure gets a {@link StorageException} with it, every other caller a
     * {@link DatabaseFailedException} carrying the first failure.
     */
    KeelException fail(String what, Throwable cause) {
        if (cause instanceof DatabaseFailedException d) {
            return d;
        }
        boolean secondHand = cause instanceof WalWriter.LogFailedException && cause.getCause() != null;
        Throwable root = secondHand ? cause.getCause() : cause;
        if (failure.compareAndSet(null, root)) {
            LOG.error("database {} failed: {} failed; it refuses writes until reopened", directory, what, root);
            boot.fail(root);
        }
        Throwable first = failure.get();
        if (secondHand || first != root) {
            return new DatabaseFailedException("database " + directory + " failed (" + first + "); " + what
                    + " refused, nothing was acknowledged" + diskFullHint(first), first);
        }
        return new StorageException(what + " failed for database " + directory + ": " + cause + ". This operation"
                + " was not acknowledged; the database refuses writes until it is reopened, and reopening"
                + " recovers every acknowledged commit" + diskFullHint(cause), cause);
    }

    /** {@link #fail} from a caller's thread: the caller gets the exception, so it was reported. */
    private KeelException failForCaller(String what, Throwable cause) {
        KeelException e = fail(what, cause);
        if (!Background.onBackgroundThread()) {
            // A background commit (the purge) reports nobody: close still has to.
            failureDelivered = true;
        }
        return e;
    }

    /** See {@link DiskFullHint#of}. */
    String diskFullHint(Throwable failure) {
        return DiskFullHint.of(options.fileIO(), directory, failure);
    }

    /**
     * Waits for in-flight commits, checkpoints (unless failed or read-only), syncs and unlocks.
     * The caller's interrupt status is set aside while closing and restored after: file channels
     * close themselves on an interrupted thread, which would turn a clean close into a failure.
     */
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        boot.moveTo(dev.keel.BootPhase.SHUTTING_DOWN);
        try {
            closeAll();
        } finally {
            boot.finishShutdown();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeAll() {
        Throwable error = null;
        if (wal != null) {
            // Before the commit lock: a purge may be waiting for it to commit its current batch.
            background.stopPurge();
            commitLock.lock();
            try {
                background.stop();
                long checkpointLsn = -1;
                if (failure.get() == null) {
                    try {
                        checkpointLsn = checkpointer.checkpointOnClose();
                    } catch (RuntimeException e) {
                        error = e;
                    }
                }
                try {
                    wal.close();
                    if (wal.preparationFailure() != null) {
                        // A segment that could not be prepared while closing: no caller has seen it.
                        fail("log segment preparation", wal.preparationFailure());
                    }
                    if (error == null && checkpointLsn >= 0 && failure.get() == null) {
                        wal.retireAllAfterClose(checkpointLsn);
                    }
                } catch (IOException e) {
                    error = addTo(error, e);
                }
            } finally {
                commitLock.unlock();
                background.shutdownNow();
            }
        }
        Throwable failed = failure.get();
        if (failed != null && !failureDelivered) {
            // Only a background thread saw it (segment preparation, checkpoint, group sync): close
            // is the last chance to tell the application (G5).
            failureDelivered = true;
            error = addTo(error, new StorageException("database " + directory + " failed in the background and no"
                    + " operation had reported it yet: " + failed + diskFullHint(failed) + ". Acknowledged commits"
                    + " are safe; reopening runs recovery", failed));
        }
        try {
            lock.close();
        } catch (IOException e) {
            error = addTo(error, e);
        }
        if (error instanceof KeelException k) {
            throw k;
        }
        if (error != null) {
            throw new StorageException("closing database " + directory + " failed: " + error, error);
        }
    }

    private static Throwable addTo(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
