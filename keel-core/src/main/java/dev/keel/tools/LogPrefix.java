package dev.keel.tools;

import dev.keel.internal.wal.SegmentScanner.BadRegion;
import dev.keel.internal.wal.SegmentScanner.Frame;
import dev.keel.internal.wal.WalRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the longest prefix of a log, after a checkpoint, that is a consistent committed state: it
 * ends after the last complete transaction before the first anomaly (a damaged region, an LSN that
 * does not continue the sequence, a transaction without its commit record or whose commit record
 * does not match its records). Any such prefix is a state the database was in, because the log is
 * append-only and a transaction is applied only with its commit record.
 *
 * <p>Whether the anomaly is a torn tail, a copy that caught a write in flight, or corruption is for
 * the caller to decide ({@link OnlineCopy}); this class only locates it.
 */
final class LogPrefix {
    private LogPrefix() {
    }

    /**
     * The first anomaly. {@code segment}/{@code offset}: where it is; {@code fromSegment}: the first
     * segment whose content may explain it (for a gap, the segment of the record before it);
     * {@code damage}: bytes that are not a valid record (else valid records that do not fit);
     * {@code lsnBefore}: the LSN of the last valid record before it (0 if none);
     * {@code afterCheckpoint}: the records right after the checkpoint are missing.
     */
    record Anomaly(int segment, int offset, int fromSegment, boolean damage, long lsnBefore, String what,
            boolean afterCheckpoint) {
    }

    /**
     * The result. {@code cutSegment}: index of the segment where the prefix ends (-1 when no
     * transaction after the checkpoint is complete), {@code cutOffset}: the end of the last complete
     * commit record in it, {@code lastCommitLsn}: the LSN of the state the prefix reaches.
     */
    record Analysis(Anomaly anomaly, int cutSegment, int cutOffset, long lastCommitLsn) {
    }

    static Analysis analyze(long checkpointLsn, List<LogFile> log) {
        long prev = 0;
        int prevSegment = -1;
        long lastCommit = checkpointLsn;
        int cutSegment = -1;
        int cutOffset = 0;
        List<Frame> pending = new ArrayList<>();
        int pendingSegment = -1;
        for (int s = 0; s < log.size(); s++) {
            List<BadRegion> bad = log.get(s).scan().badRegions();
            for (Frame f : log.get(s).frames()) {
                Anomaly a = null;
                long expected = Math.max(prev, checkpointLsn) + 1;
                if (!bad.isEmpty() && bad.get(0).offset() < f.offset()) {
                    a = damage(s, bad.get(0), prev);
                } else if (prev != 0 && f.lsn() <= prev) {
                    a = new Anomaly(s, f.offset(), s, false, prev, "log record LSN " + f.lsn() + " follows LSN " + prev,
                            false);
                } else if (f.lsn() > checkpointLsn && f.lsn() != expected) {
                    a = new Anomaly(s, f.offset(), prevSegment < 0 ? s : prevSegment, false, prev, "log records with LSN "
                            + expected + " to " + (f.lsn() - 1) + " are missing", prev <= checkpointLsn);
                } else if (f.lsn() > checkpointLsn && !pending.isEmpty() && pendingSegment != s) {
                    a = new Anomaly(pendingSegment, pending.get(0).offset(), pendingSegment, false, lastCommit,
                            "a transaction's records are not followed by its commit record", false);
                }
                if (a != null) {
                    return new Analysis(a, cutSegment, cutOffset, lastCommit);
                }
                prev = f.lsn();
                prevSegment = s;
                if (f.lsn() <= checkpointLsn) {
                    continue;
                }
                if (!(f.record() instanceof WalRecord.Commit c)) {
                    pending.add(f);
                    pendingSegment = s;
                } else if (c.recordCount() != pending.size()) {
                    int at = pending.isEmpty() ? f.offset() : pending.get(0).offset();
                    return new Analysis(new Anomaly(s, at, s, false, lastCommit, "commit record (LSN " + f.lsn() + ") says "
                            + c.recordCount() + " records but " + pending.size() + " precede it", false), cutSegment,
                            cutOffset, lastCommit);
                } else {
                    pending.clear();
                    lastCommit = f.lsn();
                    cutSegment = s;
                    cutOffset = f.offset() + f.size();
                }
            }
            if (!bad.isEmpty()) {
                return new Analysis(damage(s, bad.get(0), prev), cutSegment, cutOffset, lastCommit);
            }
        }
        return new Analysis(null, cutSegment, cutOffset, lastCommit);
    }

    private static Anomaly damage(int segment, BadRegion b, long lsnBefore) {
        return new Anomaly(segment, b.offset(), segment, true, lsnBefore, "damaged log record (" + b.length()
                + " bytes that are not a valid record)", false);
    }

    /**
     * A commit after the anomaly, in its segment, written after a sync that covered more than the
     * records before the anomaly: the damaged bytes were on stable storage once, so they are not an
     * interrupted write (recovery's own rule for a torn tail). Null when there is none.
     */
    static Frame durableEvidence(List<LogFile> log, Anomaly a) {
        for (Frame f : log.get(a.segment()).frames()) {
            if (f.offset() > a.offset() && f.record() instanceof WalRecord.Commit c && c.syncedLsn() > a.lsnBefore()) {
                return f;
            }
        }
        return null;
    }

    /** Whether a valid record lies at or after the anomaly: it is not simply the end of the log. */
    static boolean validAfter(List<LogFile> log, Anomaly a) {
        for (Frame f : log.get(a.segment()).frames()) {
            if (f.offset() >= a.offset()) {
                return true;
            }
        }
        for (int s = a.segment() + 1; s < log.size(); s++) {
            if (log.get(s).hasFrames()) {
                return true;
            }
        }
        return false;
    }

    /** Index of the last segment that holds a valid record, or -1. */
    static int lastWithFrames(List<LogFile> log) {
        for (int s = log.size() - 1; s >= 0; s--) {
            if (log.get(s).hasFrames()) {
                return s;
            }
        }
        return -1;
    }
}
