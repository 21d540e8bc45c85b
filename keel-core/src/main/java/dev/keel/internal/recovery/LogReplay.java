package dev.keel.internal.recovery;

import dev.keel.CorruptionException;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport.Event;
import dev.keel.RecoveryReport.EventKind;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.MalformedDataException;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.store.Store;
import dev.keel.internal.wal.SegmentScanner.BadRegion;
import dev.keel.internal.wal.SegmentScanner.Frame;
import dev.keel.internal.wal.WalFormat;
import dev.keel.internal.wal.WalRecord;
import dev.keel.internal.entity.EntityConverter;
import dev.keel.internal.entity.StoredType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replays the log on top of a checkpoint and decides what every damaged byte means.
 *
 * <p>Recovery: transactions are applied only when their COMMIT frame is present and the frames
 * before it are exactly the transaction's records with consecutive LSNs. Frames at or below the
 * checkpoint LSN are not applied, and a gap among them is harmless (a power loss can undo the
 * deletion of one retired segment but not of the next); a gap above the checkpoint is lost data.
 *
 * <p>Strict (NORMAL) rules. Damage is a torn tail, and is cut, only if nothing proves it was once
 * durable: no valid frame in a later segment (a segment is written only after the previous one was
 * synced and sealed) and no later COMMIT whose syncedLsn reaches past the last good record before
 * the damage. Anything else (damage with such evidence after it, a gap in the LSN sequence, a
 * transaction interrupted by a valid frame of another) is corruption and refuses the open. Valid
 * frames after a torn hole belong to the same unsynced write and were never acknowledged; they are
 * cut with it. A limit that follows from this: damage inside the very last synced write, with no
 * later commit to vouch for it, cannot be told from an interrupted write and is treated as a torn
 * tail (its bytes are quarantined and reported, never silently dropped).
 *
 * <p>Salvage (FORCE, READ_ONLY) rules: every complete, consecutive transaction found anywhere is
 * applied; damaged regions, gaps and incomplete transactions are skipped and reported.
 *
 * <p>Schema versions: the store being built is at the migration's target schema. A PUT_V record
 * names the schema version its entity was encoded under, a kind 1 PUT means the schema in force
 * at its place in the log (the checkpoint's, then each replayed SCHEMA record's); a put written
 * under another version than the target is converted ({@link EntityConverter}) and counted, and one
 * RECORD_MIGRATED event per source version reports the counts. A SCHEMA record adds its version to
 * the history and does not change the store's schema. A put that cannot be converted (an unknown
 * version, bytes that do not decode under it) makes its whole transaction skipped in every mode,
 * its bytes quarantined and reported as RECORD_NOT_APPLIED (the log stays and continues after it),
 * or, with strict migration, fails the open. A valid value the declared type cannot hold (a LONG
 * no DOUBLE equals) fails the open in every mode, naming the entity, as it does for a
 * checkpointed entity: the declaration is wrong, not the record, and skipping it would lose an
 * acknowledged commit.
 */
final class LogReplay {
    /** A byte range of a segment recovery cuts (NORMAL) or keeps in quarantine (FORCE). */
    record Cut(LogSegment segment, int offset, int length, EventKind kind, long lastGoodLsn, String detail) {
    }

    private final RecoveryMode mode;
    private final long checkpointLsn;
    private final Store.Batch batch;
    private Schema schema;
    private final List<Event> events;
    final List<Cut> cuts = new ArrayList<>();
    private final List<Frame> pending = new ArrayList<>();
    private LogSegment pendingSegment;
    long prevLsn;
    long lastCommitLsn;
    /** Where the last applied commit ends (segment and offset); null if none was applied. */
    private LogSegment lastCommitSegment;
    private int lastCommitEnd;
    long recordsReplayed;
    long transactionsReplayed;
    long transactionsRolledBack;

    private final RecoveryProgress progress;
    private long framesSeen;

    /**
     * What replay converts to and from: the target schema (the store's), every known version, the
     * schema in force at the start of the log (the checkpoint's) and whether an unconvertible
     * record fails the open.
     */
    record Migration(Schema target, Map<Integer, Schema> history, Schema initial, boolean strict) {
    }

    private final Migration migration;
    private final Map<Long, EntityConverter> converters = new HashMap<>();
    /** Per source schema version: records converted, and where the first one is. */
    private final Map<Integer, long[]> migrated = new TreeMap<>();
    private final Map<Integer, LogSegment> migratedFirstSegment = new HashMap<>();

    LogReplay(RecoveryMode mode, Store base, List<Event> events, RecoveryProgress progress, Migration migration) {
        this.mode = mode;
        this.progress = progress;
        this.checkpointLsn = base.lsn();
        this.batch = base.batch();
        this.schema = migration.initial();
        this.events = events;
        this.lastCommitLsn = base.lsn();
        this.migration = migration;
    }

    /** A put that cannot be converted to the target schema. */
    private static final class NotMigratable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Frame frame;
        /** A valid value the target type cannot hold: the declaration must change, the record is fine. */
        final boolean valueDoesNotFit;

        NotMigratable(Frame frame, String reason) {
            this(frame, reason, false);
        }

        NotMigratable(Frame frame, String reason, boolean valueDoesNotFit) {
            super(reason, null, false, false);
            this.frame = frame;
            this.valueDoesNotFit = valueDoesNotFit;
        }
    }

    Store.Batch batch() {
        return batch;
    }

    void replay(List<LogSegment> log) {
        if (mode == RecoveryMode.NORMAL) {
            strict(log);
        } else {
            salvage(log);
        }
        progress.replayed(framesSeen);
        for (Map.Entry<Integer, long[]> e : migrated.entrySet()) {
            long[] v = e.getValue();
            events.add(new Event(EventKind.RECORD_MIGRATED, migratedFirstSegment.get(e.getKey()).path(), v[1], 0, 0,
                    null, v[0] + " log record" + (v[0] == 1 ? "" : "s") + " written under schema version " + e.getKey()
                            + " converted to version " + migration.target().version() + " while replayed"));
        }
    }

    private void strict(List<LogSegment> log) {
        for (int s = 0; s < log.size(); s++) {
            LogSegment seg = log.get(s);
            List<BadRegion> bad = seg.scan().badRegions();
            BadRegion damage = bad.isEmpty() ? null : bad.get(0);
            for (Frame f : seg.scan().frames()) {
                if (damage != null && f.offset() > damage.offset()) {
                    break;
                }
                if (pendingSegment != null && pendingSegment != seg) {
                    throw corruption(pendingSegment, pending.get(0).offset(), "a transaction's records are not followed"
                            + " by its commit record, but valid records follow in " + seg.path().getFileName());
                }
                if (prevLsn != 0 && f.lsn() <= prevLsn) {
                    throw corruption(seg, f.offset(), "log record LSN " + f.lsn() + " follows LSN " + prevLsn
                            + " (a segment file copied or replaced?)");
                }
                long highestAllowed = Math.max(prevLsn, checkpointLsn) + 1;
                if (f.lsn() > highestAllowed) {
                    throw corruption(seg, f.offset(), "log records with LSN " + highestAllowed + " to " + (f.lsn() - 1)
                            + " are missing (a segment file deleted or replaced?)");
                }
                accept(seg, f);
            }
            if (damage != null) {
                String proof = evidenceAfter(log, s, damage);
                if (proof != null) {
                    boolean checksum = WalFormat.plausibleFrameSize(seg.data(), damage.offset(), seg.data().length) >= 0;
                    throw corruption(seg, damage.offset(), "damaged log record (" + damage.length() + " bytes: "
                            + (checksum ? "a well-formed record whose checksum does not match" : "not a valid record")
                            + ") followed by " + proof);
                }
                cutTornTail(seg, damage);
                for (int later = s + 1; later < log.size(); later++) {
                    List<BadRegion> garbage = log.get(later).scan().badRegions();
                    if (!garbage.isEmpty()) {
                        cutFrom(log.get(later), garbage.get(0).offset(), EventKind.TORN_TAIL_CUT, "bytes that are not a"
                                + " valid record in a segment after the torn tail");
                    }
                }
                return;
            }
        }
        if (!pending.isEmpty()) {
            Frame first = pending.get(0);
            discardPending(first.offset(), pendingSegment.scan().dataEnd() - first.offset(), "transaction without a"
                    + " commit record at the end of the log: it was never acknowledged; discarded");
        }
    }

    /** What proves that bytes at {@code damage} were durable once, or null. */
    private String evidenceAfter(List<LogSegment> log, int s, BadRegion damage) {
        for (Frame f : log.get(s).scan().frames()) {
            if (f.offset() > damage.offset() && f.record() instanceof WalRecord.Commit c && c.syncedLsn() > prevLsn) {
                return "a valid commit (LSN " + f.lsn() + ") written after LSN " + c.syncedLsn() + " was synced";
            }
        }
        for (int later = s + 1; later < log.size(); later++) {
            if (log.get(later).hasFrames()) {
                return "valid records in the later segment " + log.get(later).path().getFileName();
            }
        }
        return null;
    }

    private void cutTornTail(LogSegment seg, BadRegion damage) {
        String detail = "torn tail: bytes after the last complete commit (LSN " + lastCommitLsn + ") do not form a"
                + " complete, valid transaction; cut";
        if (pending.isEmpty()) {
            cutFrom(seg, damage.offset(), EventKind.TORN_TAIL_CUT, detail);
            return;
        }
        LogSegment pendingSeg = pendingSegment;
        int pendingFrom = pending.get(0).offset();
        transactionsRolledBack++;
        pending.clear();
        pendingSegment = null;
        if (pendingSeg == seg) {
            cutFrom(seg, Math.min(pendingFrom, damage.offset()), EventKind.TORN_TAIL_CUT, detail
                    + " (includes the records of the unfinished transaction)");
        } else {
            cutFrom(pendingSeg, pendingFrom, EventKind.INCOMPLETE_TRANSACTION_DISCARDED, "records of a transaction"
                    + " without a commit record; discarded");
            cutFrom(seg, damage.offset(), EventKind.TORN_TAIL_CUT, detail);
        }
    }

    private void cutFrom(LogSegment seg, int from, EventKind kind, String detail) {
        int end = seg.scan().dataEnd();
        if (from < end) {
            cuts.add(new Cut(seg, from, end - from, kind, lastCommitLsn, (end - from) + " bytes: " + detail));
        }
    }

    private void salvage(List<LogSegment> log) {
        for (LogSegment seg : log) {
            if (!seg.header()) {
                continue;
            }
            List<BadRegion> bad = new ArrayList<>(seg.scan().badRegions());
            for (Frame f : seg.scan().frames()) {
                while (!bad.isEmpty() && bad.get(0).offset() < f.offset()) {
                    skipDamage(seg, bad.remove(0), false);
                }
                long expected = Math.max(prevLsn, checkpointLsn) + 1;
                if (prevLsn != 0 && f.lsn() <= prevLsn) {
                    continue;
                }
                if (f.lsn() > expected) {
                    if (!pending.isEmpty()) {
                        discardPending(pending.get(0).offset(), f.offset() - pending.get(0).offset(),
                                "transaction interrupted by missing records; discarded");
                    }
                    events.add(new Event(EventKind.LOG_GAP, seg.path(), f.offset(), prevLsn, 0, null,
                            "log records with LSN " + expected + " to " + (f.lsn() - 1) + " are missing"));
                }
                if (pendingSegment != null && pendingSegment != seg) {
                    discardPending(pending.get(0).offset(), pendingSegment.scan().dataEnd() - pending.get(0).offset(),
                            "transaction without a commit record at the end of its segment; discarded");
                }
                accept(seg, f);
            }
            for (BadRegion b : bad) {
                skipDamage(seg, b, true);
            }
        }
        if (!pending.isEmpty()) {
            discardPending(pending.get(0).offset(), pendingSegment.scan().dataEnd() - pending.get(0).offset(),
                    "transaction without a commit record at the end of the log; discarded");
        }
    }

    private void skipDamage(LogSegment seg, BadRegion b, boolean atEnd) {
        if (!pending.isEmpty()) {
            discardPending(pending.get(0).offset(), b.offset() - pending.get(0).offset(),
                    "transaction interrupted by damaged records; discarded");
        }
        boolean checksum = !atEnd && WalFormat.plausibleFrameSize(seg.data(), b.offset(), seg.data().length) >= 0;
        EventKind kind = atEnd ? EventKind.TORN_TAIL_CUT
                : checksum ? EventKind.CHECKSUM_MISMATCH : EventKind.CORRUPT_RECORD_SKIPPED;
        String what = checksum ? " (a well-formed record whose checksum does not match)" : "";
        cuts.add(new Cut(seg, b.offset(), b.length(), kind, prevLsn, b.length() + " damaged bytes" + what
                + " after LSN " + prevLsn + (atEnd ? " at the end of the segment" : ", followed by valid records")
                + "; skipped"));
    }

    private void discardPending(int offset, int length, String detail) {
        cuts.add(new Cut(pendingSegment, offset, length, EventKind.INCOMPLETE_TRANSACTION_DISCARDED, lastCommitLsn,
                pending.size() + " records of a " + detail));
        transactionsRolledBack++;
        pending.clear();
        pendingSegment = null;
    }

    private void accept(LogSegment seg, Frame f) {
        if ((++framesSeen & 4095) == 0) {
            progress.replayed(framesSeen);
        }
        prevLsn = f.lsn();
        if (f.lsn() <= checkpointLsn) {
            return;
        }
        if (!(f.record() instanceof WalRecord.Commit c)) {
            pending.add(f);
            pendingSegment = seg;
            return;
        }
        if (c.recordCount() != pending.size()) {
            if (mode == RecoveryMode.NORMAL) {
                throw corruption(seg, f.offset(), "commit record says " + c.recordCount() + " records but "
                        + pending.size() + " precede it");
            }
            if (!pending.isEmpty()) {
                discardPending(pending.get(0).offset(), f.offset() + f.size() - pending.get(0).offset(),
                        "transaction whose commit record does not match its records");
            }
            return;
        }
        List<WalRecord> converted;
        Map<Integer, long[]> counts = new HashMap<>();
        try {
            converted = prepare(pending, counts);
        } catch (NotMigratable e) {
            skipUnmigratable(seg, f, e);
            return;
        } catch (MalformedDataException | IllegalArgumentException e) {
            if (mode == RecoveryMode.NORMAL) {
                throw corruption(seg, f.offset(), "a committed transaction does not apply: " + e.getMessage());
            }
            int from = pending.isEmpty() ? f.offset() : pending.get(0).offset();
            cuts.add(new Cut(seg, from, f.offset() + f.size() - from, EventKind.RECORD_NOT_APPLIED, lastCommitLsn,
                    "committed transaction ending at LSN " + f.lsn() + " does not apply (" + e.getMessage()
                            + "); skipped"));
            transactionsRolledBack++;
            pending.clear();
            pendingSegment = null;
            return;
        }
        for (WalRecord r : converted) {
            apply(r);
        }
        counts.forEach((version, n) -> {
            long[] total = migrated.computeIfAbsent(version, v -> new long[] {0, n[1]});
            migratedFirstSegment.putIfAbsent(version, seg);
            total[0] += n[0];
        });
        recordsReplayed += pending.size() + 1;
        transactionsReplayed++;
        lastCommitLsn = f.lsn();
        lastCommitSegment = seg;
        lastCommitEnd = f.offset() + f.size();
        pending.clear();
        pendingSegment = null;
    }

    /** The version of the schema in force at the end of the replayed log (the checkpoint's if no SCHEMA record applied). */
    int schemaVersion() {
        return schema.version();
    }

    private void apply(WalRecord r) {
        if (r instanceof WalRecord.Put p) {
            batch.put(p.typeId(), p.id(), p.entity());
            batch.reserveIds(p.typeId(), p.id() + 1);
        } else if (r instanceof WalRecord.Delete d) {
            batch.delete(d.typeId(), d.id());
        } else if (r instanceof WalRecord.SchemaChange sc) {
            schema = SchemaCodec.decode(new ByteReader(sc.schema()));
            migration.history().putIfAbsent(schema.version(), schema);
        } else {
            throw new MalformedDataException("commit record inside a transaction");
        }
    }

    /**
     * True if no applied transaction lies after the start of {@code cut}: cutting the log there
     * (truncating) loses nothing recovery kept. A discarded transaction in the middle of the log
     * (salvage only) is not such a cut.
     */
    boolean afterLastCommit(Cut cut) {
        if (lastCommitSegment == null) {
            return true;
        }
        return cut.segment().id() > lastCommitSegment.id()
                || (cut.segment() == lastCommitSegment && cut.offset() >= lastCommitEnd);
    }

    /**
     * The records of a transaction as they apply to the target schema (puts converted), or throws
     * if some record would not apply (a type the schema in force does not have, a schema record
     * that does not decode; {@link NotMigratable} for a put that cannot be converted), before any
     * of them touches the batch: a transaction is applied whole or not at all. Converted puts are
     * counted into {@code counts} (version to {count, offset of the first}).
     */
    private List<WalRecord> prepare(List<Frame> records, Map<Integer, long[]> counts) {
        Schema in = schema;
        Schema target = migration.target();
        List<WalRecord> out = new ArrayList<>(records.size());
        for (Frame op : records) {
            WalRecord r = op.record();
            if (r instanceof WalRecord.SchemaChange sc) {
                in = SchemaCodec.decode(new ByteReader(sc.schema()));
                out.add(r);
            } else if (r instanceof WalRecord.Put p) {
                requireId(p.id());
                Schema under = in;
                if (p.versioned()) {
                    under = migration.history().get(p.schemaVersion());
                    if (under == null) {
                        throw new NotMigratable(op, "it was written under schema version " + p.schemaVersion()
                                + ", which neither the checkpoint nor the log defines");
                    }
                    if (under.byId(p.typeId()) == null) {
                        throw new NotMigratable(op, "its entity type id " + p.typeId() + " is not in schema version "
                                + p.schemaVersion() + " it names");
                    }
                } else {
                    requireType(in, p.typeId());
                }
                requireType(target, p.typeId());
                if (under.version() == target.version()) {
                    out.add(r);
                    continue;
                }
                StoredType from = under.byId(p.typeId());
                EntityConverter c = converters.computeIfAbsent(((long) under.version() << 32) | p.typeId(),
                        k -> new EntityConverter(from, target.byId(p.typeId())));
                try {
                    out.add(new WalRecord.Put(target.version(), p.typeId(), p.id(), c.convert(p.id(), p.entity())));
                } catch (EntityConverter.ConversionException e) {
                    throw new NotMigratable(op, e.getMessage() + " (written under schema version " + under.version()
                            + ")", !e.undecodable());
                }
                counts.computeIfAbsent(under.version(), v -> new long[] {0, op.offset()})[0]++;
            } else if (r instanceof WalRecord.Delete d) {
                requireType(target, d.typeId());
                requireId(d.id());
                out.add(r);
            } else {
                throw new MalformedDataException("commit record inside a transaction");
            }
        }
        return out;
    }

    /**
     * A committed transaction with a put that cannot be migrated: strict migration fails the open;
     * otherwise the transaction is skipped whole, its bytes go to quarantine and the report names
     * the record and the reason. The log continues after it (its LSNs stay used).
     */
    private void skipUnmigratable(LogSegment seg, Frame commit, NotMigratable e) {
        Frame op = e.frame;
        String record = "log record LSN " + op.lsn() + " (" + (op.record() instanceof WalRecord.Put p
                ? "PUT of entity type id " + p.typeId() + " #" + p.id() : "record") + ")";
        if (e.valueDoesNotFit) {
            // A committed, intact value the declared type cannot hold: skipping it would lose an
            // acknowledged commit because of a declaration, so the open fails in every mode.
            throw new dev.keel.MigrationException("cannot migrate to schema version " + migration.target().version()
                    + ": " + record + " in " + seg.path() + " at offset " + op.offset() + ": " + e.getMessage()
                    + ". Nothing was written; the database still opens with its previous declaration. Change the"
                    + " value with it, or declare the field without the change", List.of());
        }
        if (migration.strict()) {
            throw new dev.keel.MigrationException("cannot open: " + record + " in " + seg.path() + " at offset "
                    + op.offset() + " cannot be migrated to schema version " + migration.target().version() + ": "
                    + e.getMessage() + ". The database was not changed. Without strictMigration its transaction"
                    + " (ending at LSN " + commit.lsn() + ") would be skipped, kept under quarantine/ and reported",
                    List.of());
        }
        int from = pending.get(0).offset();
        cuts.add(new Cut(seg, from, commit.offset() + commit.size() - from, EventKind.RECORD_NOT_APPLIED,
                lastCommitLsn, "committed transaction ending at LSN " + commit.lsn() + " cannot be migrated to schema"
                        + " version " + migration.target().version() + ": " + record + " at offset " + op.offset()
                        + ": " + e.getMessage() + "; skipped"));
        transactionsRolledBack++;
        pending.clear();
        pendingSegment = null;
        lastCommitLsn = commit.lsn();
        lastCommitSegment = seg;
        lastCommitEnd = commit.offset() + commit.size();
    }

    /** Ids are assigned from 1 up and must leave a next id. */
    private static void requireId(long id) {
        if (id < 1 || id == Long.MAX_VALUE) {
            throw new MalformedDataException("entity id " + id + " out of range [1, " + (Long.MAX_VALUE - 1) + "]");
        }
    }

    private static void requireType(Schema in, int typeId) {
        if (in.byId(typeId) == null) {
            throw new MalformedDataException("record for entity type id " + typeId + ", which the schema does not have");
        }
    }

    private static CorruptionException corruption(LogSegment seg, long offset, String what) {
        return new CorruptionException(seg.path(), offset, what + ". The database was not opened and nothing was"
                + " changed. Open it with RecoveryMode.READ_ONLY to read what is intact, or with RecoveryMode.FORCE to"
                + " recover every complete transaction (damaged bytes are kept under quarantine/), or restore a backup");
    }
}
