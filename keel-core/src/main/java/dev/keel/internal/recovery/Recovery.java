package dev.keel.internal.recovery;

import dev.keel.CorruptionException;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.RecoveryReport.Event;
import dev.keel.RecoveryReport.EventKind;
import dev.keel.fault.CrashHook;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.internal.checkpoint.CheckpointReader;
import dev.keel.internal.checkpoint.CheckpointWriter;
import dev.keel.MigrationException;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.MalformedDataException;
import dev.keel.internal.entity.EntityConverter;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.store.MemStore;
import dev.keel.internal.store.Store;
import dev.keel.internal.wal.SegmentScanner;
import dev.keel.internal.wal.WalFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opening a database directory: newest valid checkpoint plus replay of the log after it.
 *
 * <p>Recovery, step by step: (1) leftover temporary files of an interrupted checkpoint or segment
 * preparation are removed; (2) the newest checkpoint is loaded and fully verified (a damaged one
 * refuses NORMAL mode; READ_ONLY and FORCE fall back to an older one or to an empty store and
 * report it); (3) every segment is read and scanned, and the schemas of committed SCHEMA records
 * are collected: the newest committed one is the stored schema ({@link #storedSchema()}), and every
 * version seen is kept for converting records written under it; (4) the caller plans the schema
 * migration and {@link #migrate} converts the checkpoint's entities to the target schema, in
 * memory; (5) {@link LogReplay} applies complete transactions, converting puts written under older
 * schema versions, and classifies damage; (6) repairs: NORMAL cuts a torn tail (bytes copied to
 * quarantine and synced first, then the segment truncated and synced); FORCE quarantines every
 * damaged or discarded byte range, checkpoints the result and retires the old log; READ_ONLY writes
 * nothing at all.
 *
 * <p>Durability of the repair: a crash during it leaves the damage in place (the quarantine copy is
 * made before the cut), so the next open repeats the same decision.
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /**
     * The recovered state and where the log continues, plus measurements for boot metrics:
     * {@code logBytesAfterCheckpoint} (frame bytes of the log kept after the checkpoint, which the
     * next recovery would replay again), {@code replayBytesPerSecond} (0 when too little was replayed
     * to measure), {@code checkpointBytes} and {@code recordsQuarantined}. {@code schemaDurable}:
     * whether the recovered store's schema version is the one the files end with (the checkpoint's
     * or the last SCHEMA record replay applied, or FORCE's new checkpoint); when it is not, the
     * engine must write it before any put is stamped with that version.
     */
    public record Result(Store store, RecoveryReport report, long lastLsn, long nextSegmentId, List<long[]> retained,
            long checkpointBytes, long logBytesAfterCheckpoint, double replayBytesPerSecond, long recordsQuarantined,
            boolean schemaDurable) {
    }

    /** Below this many log bytes a replay is too short to measure its rate. */
    private static final long MIN_MEASURED_BYTES = 1 << 20;

    private final FileIO io;
    private final Path dir;
    private final RecoveryMode mode;
    private final List<Event> events = new ArrayList<>();
    private final Quarantine quarantine;
    private final CrashHook crash;
    private final RecoveryProgress progress;
    private List<Path> files;
    private CheckpointReader.Loaded checkpoint;
    private List<LogSegment> log;
    /** Every schema version seen (checkpoint and committed SCHEMA records), for converting old records. */
    private final Map<Integer, Schema> history = new TreeMap<>();
    private Schema storedSchema = Schema.EMPTY;
    /** The checkpoint's store converted to the target schema by {@link #migrate}; null before. */
    private Store migratedBase;
    private Schema target;
    private java.util.Set<Integer> toValidate = java.util.Set.of();
    /** Whether the recovered store gets its indexes built before any repair (the engine's open, not the tools). */
    private boolean buildIndexes;
    private boolean strictMigration;
    private long checkpointBytes;
    private long recordsQuarantined;
    /** Damaged whole files salvage skipped; FORCE moves them to quarantine once replay succeeded. */
    private final List<Skipped> skipped = new ArrayList<>();
    private boolean salvaged;

    private record Skipped(EventKind kind, Path file, long offset, long length, String detail) {
    }

    private Recovery(FileIO io, Path dir, RecoveryMode mode, CrashHook crash, RecoveryProgress progress) {
        this.io = io;
        this.dir = dir;
        this.mode = mode;
        this.crash = crash;
        this.progress = progress;
        this.quarantine = new Quarantine(io, dir, crash);
    }

    /** Runs the whole recovery in one go (tools and tests; the engine runs the two steps as phases). */
    public static Result run(FileIO io, Path dir, RecoveryMode mode, CrashHook crash) throws IOException {
        Recovery r = begin(io, dir, mode, crash, RecoveryProgress.NONE);
        r.loadCheckpoint();
        r.migrate(r.storedSchema(), false);
        return r.replayLog();
    }

    /** Lists the directory and reports the sizes of the files to read; changes nothing. */
    public static Recovery begin(FileIO io, Path dir, RecoveryMode mode, CrashHook crash, RecoveryProgress progress)
            throws IOException {
        Recovery r = new Recovery(io, dir, mode, crash, progress);
        r.files = io.list(dir);
        long newestCheckpoint = 0;
        long newestLsn = -1;
        long logBytes = 0;
        for (Path f : r.files) {
            String name = f.getFileName().toString();
            long lsn = CheckpointFormat.parseLsn(name);
            if (lsn > newestLsn) {
                newestLsn = lsn;
                newestCheckpoint = r.sizeOf(f);
            } else if (WalFormat.parseId(name) >= 0) {
                logBytes += r.sizeOf(f);
            }
        }
        progress.sizes(newestCheckpoint, logBytes);
        return r;
    }

    private long sizeOf(Path f) throws IOException {
        try (StorageFile file = io.openForRead(f)) {
            return file.size();
        }
    }

    /**
     * Step 1 (the MIGRATE phase): loads and fully verifies the newest readable checkpoint, reads and
     * scans the log and collects its committed schemas. Changes nothing on disk.
     */
    public void loadCheckpoint() throws IOException {
        loadNewestCheckpoint();
        log = readLog(files);
        collectSchemas();
    }

    private void loadNewestCheckpoint() throws IOException {
        checkpoint = loadCheckpoint(files);
        checkpointBytes = checkpoint != null ? checkpoint.sizeInBytes() : 0;
        if (checkpoint != null) {
            for (Path f : files) {
                long lsn = CheckpointFormat.parseLsn(f.getFileName().toString());
                if (lsn >= 0 && lsn < checkpoint.lsn()) {
                    events.add(new Event(EventKind.STALE_GENERATION, f, 0, lsn, 0, null, "checkpoint older than"
                            + " the newest one (LSN " + checkpoint.lsn() + "), left by an interrupted retirement;"
                            + " not read, removed by the next checkpoint"));
                }
            }
        }
        progress.checkpointLoaded(checkpointBytes);
    }

    /** The schema stored in the loaded checkpoint (empty without one); valid after {@link #loadCheckpoint()}. */
    public Schema checkpointSchema() {
        return checkpoint != null ? checkpoint.store().schema() : MemStore.EMPTY.schema();
    }

    /**
     * The newest committed schema: that of the last committed SCHEMA record after the checkpoint,
     * else the checkpoint's. Valid after {@link #loadCheckpoint()}.
     */
    public Schema storedSchema() {
        return storedSchema;
    }

    /** Every schema version seen in the checkpoint and the log, by version. */
    public Map<Integer, Schema> schemaHistory() {
        return java.util.Collections.unmodifiableMap(history);
    }

    /**
     * Collects the schemas of SCHEMA records in committed transactions (a COMMIT frame right after
     * exactly its records) in log order. Damage is judged later by replay; a schema record that
     * does not decode is left to it too.
     */
    private void collectSchemas() {
        Schema cp = checkpointSchema();
        history.put(cp.version(), cp);
        storedSchema = cp;
        long checkpointLsn = checkpoint != null ? checkpoint.lsn() : 0;
        // NORMAL replay applies nothing after the first damage (it is cut as a torn tail, or the open
        // is refused), so a schema record there must not become the stored schema: the next open would
        // run under a version no file holds. Later records still go into the history (decoding only).
        boolean pastDamage = false;
        for (LogSegment seg : log) {
            if (!seg.header()) {
                continue;
            }
            int damageAt = seg.scan().badRegions().isEmpty() ? Integer.MAX_VALUE
                    : seg.scan().badRegions().get(0).offset();
            List<SegmentScanner.Frame> pending = new ArrayList<>();
            for (SegmentScanner.Frame f : seg.scan().frames()) {
                pastDamage |= mode == RecoveryMode.NORMAL && f.offset() > damageAt;
                if (!(f.record() instanceof dev.keel.internal.wal.WalRecord.Commit c)) {
                    if (!pending.isEmpty() && pending.get(pending.size() - 1).lsn() + 1 != f.lsn()) {
                        pending.clear();
                    }
                    pending.add(f);
                    continue;
                }
                boolean complete = c.recordCount() == pending.size()
                        && (pending.isEmpty() || pending.get(pending.size() - 1).lsn() + 1 == f.lsn());
                if (complete) {
                    for (SegmentScanner.Frame op : pending) {
                        if (op.record() instanceof dev.keel.internal.wal.WalRecord.SchemaChange sc) {
                            try {
                                Schema s = SchemaCodec.decode(new ByteReader(sc.schema()));
                                history.putIfAbsent(s.version(), s);
                                if (f.lsn() > checkpointLsn && !pastDamage) {
                                    storedSchema = s;
                                    history.put(s.version(), s);
                                }
                            } catch (MalformedDataException | IllegalArgumentException e) {
                                // replay reports it
                            }
                        }
                    }
                }
                pending.clear();
            }
        }
        // The newest schema wins for its version (a step's progress records share their version).
        history.put(storedSchema.version(), storedSchema);
    }

    /**
     * Step 2 (the end of the MIGRATE phase): converts the checkpoint's entities to {@code target}
     * (the stored schema, or the one planned from the declared types), in memory only. Log records
     * are converted to it while replayed.
     *
     * @param strict whether a log record that cannot be converted fails the open
     * @throws MigrationException a checkpointed entity cannot be converted (naming it)
     */
    public void migrate(Schema target, boolean strict) {
        migrate(target, java.util.Set.of(), strict);
    }

    /**
     * Like {@link #migrate(Schema, boolean)}; after replay, before any repair, the entities of the
     * types {@code toValidate} are checked against the rules of {@code target} ({@link MigrationCheck}).
     */
    public void migrate(Schema target, java.util.Set<Integer> toValidate, boolean strict) {
        this.buildIndexes = true;
        this.target = target;
        this.toValidate = java.util.Set.copyOf(toValidate);
        this.strictMigration = strict;
        Store base = checkpoint != null ? checkpoint.store() : MemStore.EMPTY;
        if (base.schema() == target) {
            migratedBase = base;
            return;
        }
        Store.Batch batch = base.batch();
        List<String> failures = new ArrayList<>();
        long failed = 0;
        for (StoredType from : base.schema().types()) {
            StoredType to = target.byId(from.typeId());
            if (to == null) {
                throw new IllegalStateException("target schema version " + target.version() + " lacks stored type "
                        + from.name() + " (id " + from.typeId() + ")");
            }
            EntityConverter converter = new EntityConverter(from, to);
            if (converter.identity()) {
                continue;
            }
            Store.Cursor c = base.scan(from.typeId(), 1);
            while (c.next()) {
                try {
                    batch.put(from.typeId(), c.id(), converter.convert(c.id(), c.value()));
                } catch (EntityConverter.ConversionException e) {
                    if (failures.size() < 10) {
                        failures.add(e.getMessage());
                    }
                    failed++;
                }
            }
        }
        if (failed > 0) {
            throw new MigrationException("cannot migrate " + dir + " to schema version " + target.version() + ": "
                    + failed + " checkpointed entit" + (failed == 1 ? "y" : "ies") + " cannot be converted (first "
                    + failures.size() + " listed); nothing was written. Fix their values with the old declaration,"
                    + " or declare the field without the change", failures);
        }
        batch.schema(target);
        migratedBase = batch.apply(base.lsn());
    }

    /**
     * Step 2 (the recovery phase): reads and replays the log after the checkpoint, then makes the
     * repairs the mode allows and writes the report.
     */
    public Result replayLog() throws IOException {
        long started = System.nanoTime();
        if (migratedBase == null) {
            migrate(storedSchema, false);
        }
        Store base = migratedBase;
        long frames = 0;
        long frameBytes = 0;
        for (LogSegment seg : log) {
            frames += seg.scan().frames().size();
            for (var f : seg.scan().frames()) {
                if (f.lsn() > base.lsn()) {
                    frameBytes += f.size();
                }
            }
        }
        for (int i = 0; i + 1 < log.size(); i++) {
            LogSegment seg = log.get(i);
            if (seg.hasFrames() && seg.lastLsn() <= base.lsn()) {
                events.add(new Event(EventKind.STALE_GENERATION, seg.path(), 0, seg.lastLsn(), 0, null, "log segment"
                        + " whose records are all covered by the checkpoint (LSN " + base.lsn() + "), left by an"
                        + " interrupted retirement; not replayed, retired by the next checkpoint"));
            }
        }
        progress.replayStarting(frames);
        LogReplay replay = new LogReplay(mode, base, events, progress,
                new LogReplay.Migration(target, history, checkpointSchema(), strictMigration));
        replay.replay(log);
        long replayNanos = System.nanoTime() - started;
        double rate = frameBytes >= MIN_MEASURED_BYTES && replayNanos > 0 ? frameBytes * 1e9 / replayNanos : 0;
        for (LogReplay.Cut cut : replay.cuts) {
            salvaged |= !isTailCut(cut) || !replay.afterLastCommit(cut);
        }
        salvaged |= events.stream().anyMatch(e -> e.kind() == EventKind.LOG_GAP);
        // A log that stays (NORMAL, or FORCE with only a tail to cut) continues after its last
        // commit; the LSNs of cut records are reused. A salvaged log is replaced by a checkpoint,
        // which must cover every LSN seen so the retired segments can never overlap new ones.
        boolean logStays = mode == RecoveryMode.NORMAL || (mode == RecoveryMode.FORCE && !salvaged);
        long lastLsn = Math.max(base.lsn(), logStays ? replay.lastCommitLsn
                : Math.max(replay.prevLsn, replay.lastCommitLsn));
        Store store = replay.batch().apply(lastLsn);
        for (LogReplay.Cut cut : replay.cuts) {
            recordsQuarantined += recordsIn(cut);
        }
        // A migration the data does not satisfy fails here, before anything is written.
        MigrationCheck.validate(dir, store, target, toValidate);
        if (buildIndexes) {
            store = MigrationCheck.withIndexes(dir, store);
        }
        progress.repairsStarting();
        // From here on the directory changes (never in READ_ONLY); nothing may abandon recovery.
        removeTempFiles(files);
        for (LogReplay.Cut cut : replay.cuts) {
            // A log that stays must lose its tail: left in place, the records of the next segment
            // would make it look like corruption on the next open. A transaction NORMAL skipped
            // because it cannot be migrated stays in place (copied to quarantine): the log goes on
            // after it.
            repair(cut, logStays && isTailCut(cut));
        }
        // Only now, with replay done, may FORCE change the directory: a replay that throws must
        // leave every file where it was.
        for (Skipped k : skipped) {
            Path kept = mode == RecoveryMode.FORCE ? quarantine.moveIn(k.file()) : null;
            events.add(new Event(k.kind(), k.file(), k.offset(), 0, k.length(), kept, k.detail()));
        }
        recordsQuarantined += skipped.size();
        List<long[]> retained = new ArrayList<>();
        long nextSegmentId = 1;
        long bytesRead = 0;
        for (LogSegment seg : log) {
            nextSegmentId = Math.max(nextSegmentId, seg.id() + 1);
            bytesRead += seg.data().length;
        }
        if (mode == RecoveryMode.FORCE && salvaged) {
            Path written = new CheckpointWriter(io, dir, crash).write(store);
            crash.reached(CrashPoint.RECOVERY_FORCE_AFTER_CHECKPOINT);
            for (LogSegment seg : log) {
                io.delete(seg.path());
                crash.reached(CrashPoint.RECOVERY_MID_SEGMENT_DELETE);
            }
            io.syncDirectory(dir);
            LOG.warn("FORCE recovery of {} wrote checkpoint {} and retired {} damaged log segments", dir,
                    written.getFileName(), log.size());
        } else if (mode != RecoveryMode.READ_ONLY) {
            retainOrDelete(log, retained);
        }
        // In the order of the files and offsets they are about, however recovery came across them.
        events.sort(Comparator.comparing((Event e) -> e.file().getFileName().toString()).thenComparingLong(Event::offset));
        RecoveryReport report = new RecoveryReport(mode, checkpoint != null ? checkpoint.lsn() : 0,
                checkpoint != null ? dir.resolve(CheckpointFormat.fileName(checkpoint.lsn())) : null, log.size(),
                bytesRead, replay.recordsReplayed, replay.transactionsReplayed, replay.transactionsRolledBack, lastLsn,
                events);
        if (!report.clean()) {
            if (mode != RecoveryMode.READ_ONLY) {
                RecoveryReportFile.write(io, dir, report, crash);
            }
            for (Event e : report.events()) {
                LOG.warn("recovery of {}: {} in {} at offset {}: {}{}", dir, e.kind(), e.file().getFileName(), e.offset(),
                        e.detail(), e.quarantineFile() != null ? " (bytes kept in " + e.quarantineFile() + ")" : "");
            }
        }
        long keptLogBytes = mode == RecoveryMode.FORCE && salvaged ? 0 : Math.max(0, frameBytes
                - bytesCut(replay));
        boolean schemaDurable = replay.schemaVersion() == store.schema().version() || (mode == RecoveryMode.FORCE && salvaged);
        return new Result(store, report, lastLsn, nextSegmentId, retained, checkpointBytes, keptLogBytes, rate,
                recordsQuarantined, schemaDurable);
    }

    /** Log records in a cut range (a damaged region counts as one). */
    private static long recordsIn(LogReplay.Cut cut) {
        long n = 0;
        long end = (long) cut.offset() + cut.length();
        for (var f : cut.segment().scan().frames()) {
            if (f.offset() >= cut.offset() && f.offset() < end) {
                n++;
            }
        }
        for (var b : cut.segment().scan().badRegions()) {
            if (b.offset() >= cut.offset() && b.offset() < end) {
                n++;
            }
        }
        return Math.max(n, 1);
    }

    private static long bytesCut(LogReplay replay) {
        long n = 0;
        for (LogReplay.Cut cut : replay.cuts) {
            n += cut.length();
        }
        return n;
    }

    private void removeTempFiles(List<Path> files) throws IOException {
        boolean removed = false;
        for (Path f : files) {
            if (!f.getFileName().toString().endsWith(CheckpointFormat.TEMP_SUFFIX)) {
                continue;
            }
            if (mode == RecoveryMode.READ_ONLY) {
                events.add(new Event(EventKind.TEMP_FILE_REMOVED, f, 0, 0, 0, null,
                        "leftover temporary file of an interrupted write; left in place (read-only)"));
                continue;
            }
            io.delete(f);
            removed = true;
            crash.reached(CrashPoint.RECOVERY_MID_TEMP_REMOVAL);
            events.add(new Event(EventKind.TEMP_FILE_REMOVED, f, 0, 0, 0, null,
                    "leftover temporary file of an interrupted checkpoint or segment preparation; removed"));
        }
        if (removed) {
            io.syncDirectory(dir);
        }
    }

    private CheckpointReader.Loaded loadCheckpoint(List<Path> files) throws IOException {
        List<Path> checkpoints = new ArrayList<>();
        for (Path f : files) {
            if (CheckpointFormat.parseLsn(f.getFileName().toString()) >= 0) {
                checkpoints.add(f);
            }
        }
        checkpoints.sort(Comparator.comparingLong((Path p) -> CheckpointFormat.parseLsn(p.getFileName().toString()))
                .reversed());
        for (Path c : checkpoints) {
            try {
                return CheckpointReader.read(io, c);
            } catch (CorruptionException e) {
                if (mode == RecoveryMode.NORMAL) {
                    throw new CorruptionException(e.file(), e.offset(), "the newest checkpoint is damaged: "
                            + e.getMessage() + ". The database was not opened and nothing was changed. Open it with"
                            + " RecoveryMode.READ_ONLY or FORCE to fall back to an older checkpoint and the log, or"
                            + " restore a backup", e);
                }
                skipped.add(new Skipped(EventKind.CHECKPOINT_SKIPPED, c, e.offset(), 0, e.getMessage()));
                salvaged = true;
            }
        }
        return null;
    }

    private List<LogSegment> readLog(List<Path> files) throws IOException {
        List<LogSegment> log = new ArrayList<>();
        for (Path f : files) {
            long id = WalFormat.parseId(f.getFileName().toString());
            if (id < 0) {
                continue;
            }
            byte[] data;
            try (StorageFile file = io.openForRead(f)) {
                long size = file.size();
                if (size > Integer.MAX_VALUE - 64) {
                    throw new CorruptionException(f, 0, "log segment of " + size + " bytes exceeds 2 GiB");
                }
                data = new byte[(int) size];
                file.readFully(ByteBuffer.wrap(data), 0);
            }
            progress.logRead(data.length);
            try {
                WalFormat.Header h = WalFormat.readHeader(data, data.length, f, id);
                log.add(new LogSegment(id, f, data, true, SegmentScanner.scan(data, data.length, h.salt())));
            } catch (CorruptionException e) {
                if (mode == RecoveryMode.NORMAL) {
                    throw new CorruptionException(e.file(), e.offset(), e.getMessage() + ". The database was not opened"
                            + " and nothing was changed. Open it with RecoveryMode.READ_ONLY or FORCE to skip this"
                            + " segment, or restore a backup", e);
                }
                skipped.add(new Skipped(EventKind.CORRUPT_RECORD_SKIPPED, f, e.offset(), data.length,
                        "whole segment skipped: " + e.getMessage()));
                salvaged = true;
            }
        }
        log.sort(Comparator.comparingLong(LogSegment::id));
        return log;
    }

    private static boolean isTailCut(LogReplay.Cut cut) {
        return cut.kind() == EventKind.TORN_TAIL_CUT || cut.kind() == EventKind.INCOMPLETE_TRANSACTION_DISCARDED;
    }

    private void repair(LogReplay.Cut cut, boolean truncate) throws IOException {
        Path file = cut.segment().path();
        Path kept = null;
        if (mode != RecoveryMode.READ_ONLY) {
            kept = quarantine.keep(file, cut.offset(), cut.segment().data(), cut.offset(), cut.length());
        }
        if (truncate) {
            try (StorageFile f = io.openForWrite(file)) {
                f.truncate(cut.offset());
                crash.reached(CrashPoint.RECOVERY_MID_TAIL_CUT);
                f.sync();
            }
        }
        events.add(new Event(cut.kind(), file, cut.offset(), cut.lastGoodLsn(), cut.length(), kept, cut.detail()));
    }

    private void retainOrDelete(List<LogSegment> log, List<long[]> retained) throws IOException {
        boolean deleted = false;
        for (LogSegment seg : log) {
            long last = lastKeptLsn(seg);
            if (last > 0) {
                retained.add(new long[] {seg.id(), last});
            } else {
                io.delete(seg.path());
                deleted = true;
                crash.reached(CrashPoint.RECOVERY_MID_SEGMENT_DELETE);
            }
        }
        if (deleted) {
            io.syncDirectory(dir);
        }
    }

    private static long lastKeptLsn(LogSegment seg) {
        return seg.scan().frames().isEmpty() ? 0 : seg.lastLsn();
    }
}
