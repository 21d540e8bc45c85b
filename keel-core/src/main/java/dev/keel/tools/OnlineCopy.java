package dev.keel.tools;

import dev.keel.CorruptionException;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.StorageException;
import dev.keel.fault.CrashHook;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.recovery.Recovery;
import dev.keel.internal.store.Store;
import dev.keel.internal.wal.SegmentScanner.Frame;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A consistent committed state of a database that another process may be writing, read without
 * any lock and without writing to it: the newest checkpoint plus the longest valid prefix of the
 * log after it.
 *
 * <p>Ordering: the newest checkpoint is read first, then the segments in ascending id order. Every
 * segment is a prefix of its final content when read (the log is append-only), and a segment is
 * sealed (synced, never written again) before any byte of the next one is written. So when a later
 * segment holds records, an earlier one read too early (it ends short, or with a record caught in
 * the middle of its write) is read once more, now final; when the live segment shows damage with
 * valid records after it, it is read once more too, after a pause, since the copy may have caught
 * pages of one write in different states. What is left is judged by {@link LogPrefix}: an anomaly
 * with nothing valid after it ends the prefix; damage in the live segment ends it too, unless it
 * was there in both reads and a later commit proves it was synced once (recovery's rule: then it
 * is no interrupted write); anything else followed by valid records, in particular in a sealed
 * segment, is corruption of the source. A checkpoint installed meanwhile retires
 * segments: a file that vanishes, or records missing right after the checkpoint read, restart the
 * copy from the listing, a bounded number of times.
 */
final class OnlineCopy {
    private static final int ATTEMPTS = 10;
    private static final long LIVE_REREAD_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final Path source;
    private final Path checkpoint;
    private final byte[] checkpointData;
    private final long checkpointLsn;
    private final List<LogFile> log;
    private final LogPrefix.Analysis prefix;

    private OnlineCopy(Path source, Path checkpoint, byte[] checkpointData, long checkpointLsn, List<LogFile> log,
            LogPrefix.Analysis prefix) {
        this.source = source;
        this.checkpoint = checkpoint;
        this.checkpointData = checkpointData;
        this.checkpointLsn = checkpointLsn;
        this.log = log;
        this.prefix = prefix;
    }

    /** One copy attempt: the copy, or the records found missing right after the checkpoint read. */
    private record Attempt(OnlineCopy copy, LogFile gapFile, LogPrefix.Anomaly gap) {
    }

    /**
     * Reads the state of {@code source} into memory.
     *
     * @throws CorruptionException the source is damaged (naming file and offset)
     * @throws StorageException the files kept changing during every attempt
     */
    static OnlineCopy take(FileIO io, Path source) throws IOException {
        IOException vanished = null;
        Attempt last = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            try {
                last = attempt(io, source);
                if (last.copy() != null) {
                    return last.copy();
                }
                vanished = null;
            } catch (NoSuchFileException | EOFException e) {
                vanished = e;
                last = null;
            }
        }
        if (last != null) {
            throw new CorruptionException(last.gapFile().path(), last.gap().offset(), last.gap().what() + " right"
                    + " after the checkpoint, in every one of " + ATTEMPTS + " copies: the source's log is incomplete"
                    + " and the backup was not taken. " + Advice.verify(source));
        }
        throw new StorageException("backup of " + source + ": the database files kept changing during " + ATTEMPTS
                + " copy attempts (checkpoints retiring log segments while they were copied; last: " + vanished
                + "). Nothing was written; run the backup again", vanished);
    }

    private static Attempt attempt(FileIO io, Path source) throws IOException {
        DbDirectory d = DbDirectory.list(io, source);
        Path checkpoint = d.newestCheckpoint();
        byte[] checkpointData = checkpoint == null ? null : LogFile.readAll(io, checkpoint);
        long checkpointLsn = checkpoint == null ? 0 : DbDirectory.checkpointLsn(checkpoint);
        List<LogFile> log = new ArrayList<>();
        for (Path s : d.segments()) {
            log.add(readSegment(io, s, source));
        }
        boolean[] reread = new boolean[log.size()];
        LogPrefix.Anomaly[] beforeReread = new LogPrefix.Anomaly[log.size()];
        while (true) {
            LogPrefix.Analysis a = LogPrefix.analyze(checkpointLsn, log);
            LogPrefix.Anomaly x = a.anomaly();
            if (x == null || !LogPrefix.validAfter(log, x)) {
                return new Attempt(new OnlineCopy(source, checkpoint, checkpointData, checkpointLsn, log, a), null, null);
            }
            if (x.afterCheckpoint()) {
                return new Attempt(null, log.get(x.segment()), x);
            }
            int live = LogPrefix.lastWithFrames(log);
            List<Integer> suspects = new ArrayList<>();
            for (int s = x.fromSegment(); s <= x.segment(); s++) {
                if (!reread[s]) {
                    suspects.add(s);
                }
            }
            if (suspects.isEmpty()) {
                boolean inLive = x.segment() == live && x.fromSegment() == live;
                Frame proof = LogPrefix.durableEvidence(log, x);
                if (inLive && x.damage() && (proof == null || !x.equals(beforeReread[x.segment()]))) {
                    // The end of the segment being written, or a tail torn by a crash with nothing to
                    // prove it was durable: the prefix before it is a committed state, and NORMAL
                    // recovery would cut the same bytes.
                    return new Attempt(new OnlineCopy(source, checkpoint, checkpointData, checkpointLsn, log, a), null,
                            null);
                }
                String after = !inLive ? "valid records, in a log segment that was sealed before them"
                        : proof != null ? "a valid commit (LSN " + proof.lsn() + ") written after it was synced"
                        : "valid records";
                throw new CorruptionException(log.get(x.segment()).path(), x.offset(), x.what() + ", followed by "
                        + after + ": the source is damaged and the backup was not taken. " + Advice.verify(source)
                        + "; `keel recover " + source + " --mode force` salvages every complete transaction");
            }
            if (suspects.contains(live)) {
                LockSupport.parkNanos(LIVE_REREAD_PAUSE_NANOS);
            }
            for (int s : suspects) {
                log.set(s, readSegment(io, log.get(s).path(), source));
                reread[s] = true;
                beforeReread[s] = x;
            }
        }
    }

    private static LogFile readSegment(FileIO io, Path file, Path source) throws IOException {
        LogFile f = LogFile.read(io, file);
        if (f.unsupportedVersion()) {
            throw f.headerError();
        }
        if (f.headerError() != null) {
            // A segment gets its final name only once its header is complete and synced.
            throw new CorruptionException(file, f.headerError().offset(), "the header of a log segment of the source"
                    + " is damaged: " + Advice.what(f.headerError()) + "; the backup was not taken. "
                    + Advice.verify(source));
        }
        return f;
    }

    /** LSN of the last commit in the copied state. */
    long lsn() {
        return prefix.lastCommitLsn();
    }

    /**
     * Writes the checkpoint and the log prefix into {@code staging} (a new, private directory),
     * recovers them READ_ONLY and checks the result is exactly the prefix: no damage, the expected
     * LSN. Nothing is synced: the staging copy is thrown away afterwards.
     */
    Store recover(FileIO io, Path staging) throws IOException {
        io.createDirectories(staging);
        if (checkpoint != null) {
            write(io, staging.resolve(checkpoint.getFileName()), checkpointData, checkpointData.length);
        }
        for (int s = 0; s <= prefix.cutSegment(); s++) {
            LogFile f = log.get(s);
            if (f.lastLsn() <= checkpointLsn) {
                continue; // entirely covered by the checkpoint
            }
            int length = s == prefix.cutSegment() ? prefix.cutOffset() : f.data().length;
            write(io, staging.resolve(f.path().getFileName()), f.data(), length);
        }
        Recovery.Result r = Recovery.run(io, staging, RecoveryMode.READ_ONLY, CrashHook.NONE);
        RecoveryReport.Event e = r.report().events().stream().filter(ev -> !ev.kind().informational()).findFirst()
                .orElse(null);
        if (e != null) {
            throw new CorruptionException(source.resolve(e.file().getFileName()), e.offset(), "the copied state does"
                    + " not recover cleanly (" + e.kind() + ": " + e.detail() + "); the backup was not taken. "
                    + Advice.verify(source));
        }
        if (r.store().lsn() != lsn()) {
            throw new IllegalStateException("backup of " + source + ": the copied log recovers to LSN "
                    + r.store().lsn() + " but its last complete commit is LSN " + lsn() + " (a bug; please report"
                    + " it); the backup was not taken");
        }
        return r.store();
    }

    private static void write(FileIO io, Path file, byte[] data, int length) throws IOException {
        try (StorageFile f = io.openForWrite(file)) {
            f.write(ByteBuffer.wrap(data, 0, length), 0);
        }
    }
}
