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
import java.util.ArrayList;
import java.util.List;

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

    LogReplay(RecoveryMode mode, Store base, List<Event> events, RecoveryProgress progress) {
        this.mode = mode;
        this.progress = progress;
        this.checkpointLsn = base.lsn();
        this.batch = base.batch();
        this.schema = base.schema();
        this.events = events;
        this.lastCommitLsn = base.lsn();
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
        try {
            checkApplies(pending);
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
        for (Frame op : pending) {
            apply(op.record());
        }
        recordsReplayed += pending.size() + 1;
        transactionsReplayed++;
        lastCommitLsn = f.lsn();
        lastCommitSegment = seg;
        lastCommitEnd = f.offset() + f.size();
        pending.clear();
        pendingSegment = null;
    }

    private void apply(WalRecord r) {
        if (r instanceof WalRecord.Put p) {
            requireType(p.typeId());
            batch.put(p.typeId(), p.id(), p.entity());
            batch.reserveIds(p.typeId(), p.id() + 1);
        } else if (r instanceof WalRecord.Delete d) {
            requireType(d.typeId());
            batch.delete(d.typeId(), d.id());
        } else if (r instanceof WalRecord.SchemaChange sc) {
            schema = SchemaCodec.decode(new ByteReader(sc.schema()));
            batch.schema(schema);
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
     * Throws if some record of {@code records} would not apply (a type the schema in force does
     * not have, a schema record that does not decode), before any of them touches the batch: a
     * transaction is applied whole or not at all.
     */
    private void checkApplies(List<Frame> records) {
        Schema in = schema;
        for (Frame op : records) {
            WalRecord r = op.record();
            if (r instanceof WalRecord.SchemaChange sc) {
                in = SchemaCodec.decode(new ByteReader(sc.schema()));
            } else if (r instanceof WalRecord.Put p) {
                requireType(in, p.typeId());
                requireId(p.id());
            } else if (r instanceof WalRecord.Delete d) {
                requireType(in, d.typeId());
                requireId(d.id());
            } else {
                throw new MalformedDataException("commit record inside a transaction");
            }
        }
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

    private void requireType(int typeId) {
        if (schema.byId(typeId) == null) {
            throw new MalformedDataException("record for entity type id " + typeId + ", which the schema does not have");
        }
    }

    private static CorruptionException corruption(LogSegment seg, long offset, String what) {
        return new CorruptionException(seg.path(), offset, what + ". The database was not opened and nothing was"
                + " changed. Open it with RecoveryMode.READ_ONLY to read what is intact, or with RecoveryMode.FORCE to"
                + " recover every complete transaction (damaged bytes are kept under quarantine/), or restore a backup");
    }
}
