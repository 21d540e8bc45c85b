package dev.keel.internal.wal;

import dev.keel.fault.CrashHook;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Appends transactions to the log and makes them durable with group commit.
 *
 * <p>Ordering: {@link #appendTransaction} only encodes frames into an in-memory buffer, assigning
 * LSNs in order; it is called by one committer at a time (the engine's commit lock) and holds this
 * object's monitor briefly. Rotation happens between transactions: when a transaction does not fit
 * the current segment, the buffered tail of that segment is sealed and the transaction starts the
 * next, preallocated segment. A single transaction larger than a segment grows that segment.
 *
 * <p>Durability: {@link #awaitDurable} elects a leader (whoever sets the {@code leader} flag): the
 * first waiter takes every buffered frame (its own and those of all committers that appended meanwhile), writes
 * them with one positional write per segment, syncs each touched segment once, and advances
 * {@link #durableLsn()}, then unparks every parked waiter (no monitor to re-acquire, so they wake
 * in parallel). Waiters whose LSN the leader covered
 * return without I/O, and the first uncovered one leads the next batch at once, so concurrent
 * committers share one sync and no follower queues behind another. Waiting is uninterruptible: an
 * interrupt must not turn a commit that may already be durable into a reported failure.
 *
 * <p>Batching: when the previous synced batch held k commits, a new leader waits until k commits
 * are pending, for at most half the previous sync's duration (and 200 microseconds), before it
 * drains. Without this, committers woken by the previous sync need CPU to append again, and the
 * first of them would sync alone, halving the batch size. A single committer (k = 1) never waits. A sealed segment is always synced and closed when its last bytes are
 * written, in every durability mode, before any byte of the next segment is written.
 *
 * <p>Failure: any I/O error while writing or syncing is kept as the first failure; every later
 * append or wait throws it and nothing is retried, since after a failed fsync the durable content is
 * unknown (G5). Only a reopen, which runs recovery, clears it.
 *
 * <p>Torn-tail evidence: each COMMIT record carries the LSN known durable when it was appended.
 * Recovery uses it: damage followed by a COMMIT whose syncedLsn covers the damaged position was on
 * stable storage, so it is corruption, not an interrupted write.
 */
public final class WalWriter implements Closeable {
    private static final SecureRandom SALTS = new SecureRandom();

    /** A segment as the writer tracks it. {@code firstLsn}/{@code lastLsn} are 0 while empty. */
    static final class Segment {
        final long id;
        final long salt;
        final Path path;
        CompletableFuture<StorageFile> future;
        StorageFile file;
        volatile long firstLsn;
        volatile long lastLsn;
        volatile boolean closed;

        Segment(long id, long salt, Path path) {
            this.id = id;
            this.salt = salt;
            this.path = path;
        }

        StorageFile file() throws IOException {
            if (file == null) {
                file = SegmentAllocator.await(future);
            }
            return file;
        }
    }

    private record Chunk(Segment segment, long position, ByteWriter bytes, boolean seal) {
    }

    private final FileIO io;
    private final Path directory;
    private final long segmentSize;
    private final SegmentAllocator allocator;
    private final CrashHook crash;
    private final Consumer<Throwable> preparationFailed;

    // Guarded by this.
    private ByteWriter pending = new ByteWriter(64 * 1024);
    private long pendingStart;
    private Segment current;
    private Segment next;
    private long currentEnd;
    private long nextLsn;
    /** Stamped on unversioned puts; -1 until the engine sets it. Guarded by this. */
    private int schemaVersion = -1;
    private long appendedLsn;
    private long bytesAppended;
    private final ArrayDeque<Chunk> sealed = new ArrayDeque<>();
    private final List<Segment> live = new ArrayList<>();
    private final ByteWriter payload = new ByteWriter(4096);

    // Leadership: only the thread that set the flag does file I/O; the fields below are its own.
    private final AtomicBoolean leader = new AtomicBoolean();
    private final Queue<Thread> waiters = new ConcurrentLinkedQueue<>();
    private final Set<Segment> dirty = new LinkedHashSet<>();
    private ByteWriter spare;
    private long lastBatchCommits = 1;
    private long lastSyncNanos;

    // Commits appended since the leader last drained (guarded by this), and a leader waiting for them.
    private long pendingCommits;
    /** Commits appended since the last sync drained (guarded by this); for {@link #writeStats()}. */
    private long unsyncedCommits;
    private volatile Thread gatheringLeader;
    private volatile long gatherTarget;

    private volatile long writtenLsn;
    private volatile long durableLsn;
    private volatile Throwable failure;
    private volatile Throwable preparationFailure;

    /**
     * Starts a writer that appends after {@code lastLsn} into a new segment {@code firstSegmentId}.
     *
     * @param retained segments already on disk, kept until a checkpoint covers them: {id, lastLsn}
     * @param crash told of the crash points of appends, rotation and retirement
     * @param preparationFailed told, on the preparing thread, when a segment could not be prepared
     */
    public WalWriter(FileIO io, Path directory, long segmentSize, ExecutorService background, long lastLsn,
            long firstSegmentId, List<long[]> retained, CrashHook crash, Consumer<Throwable> preparationFailed) {
        this.io = io;
        this.crash = crash;
        this.preparationFailed = preparationFailed;
        this.directory = directory;
        this.segmentSize = segmentSize;
        this.allocator = new SegmentAllocator(io, directory, segmentSize, background, crash);
        for (long[] r : retained) {
            Segment s = new Segment(r[0], 0, directory.resolve(WalFormat.fileName(r[0])));
            s.lastLsn = r[1];
            s.closed = true;
            live.add(s);
        }
        this.nextLsn = lastLsn + 1;
        this.appendedLsn = lastLsn;
        this.writtenLsn = lastLsn;
        this.durableLsn = lastLsn;
        this.current = newSegment(firstSegmentId);
        this.pendingStart = WalFormat.HEADER_SIZE;
        this.currentEnd = WalFormat.HEADER_SIZE;
    }

    private Segment newSegment(long id) {
        Segment s = new Segment(id, SALTS.nextLong(), directory.resolve(WalFormat.fileName(id)));
        s.future = allocator.prepare(id, s.salt);
        s.future.whenComplete((file, e) -> {
            if (e != null) {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e;
                Throwable io = cause instanceof java.io.UncheckedIOException u ? u.getCause() : cause;
                if (preparationFailure == null) {
                    preparationFailure = io;
                }
                preparationFailed.accept(io);
            }
        });
        live.add(s);
        return s;
    }

    /** The LSN the next appended record will get. */
    public synchronized long nextLsn() {
        return nextLsn;
    }

    /** LSN of the last appended record (maybe not yet written or durable). */
    public synchronized long appendedLsn() {
        return appendedLsn;
    }

    /** Every record up to this LSN has been written to the operating system. */
    public long writtenLsn() {
        return writtenLsn;
    }

    /** Every record up to this LSN is on stable storage. */
    public long durableLsn() {
        return durableLsn;
    }

    /** Total log bytes appended since this writer started. */
    public synchronized long bytesAppended() {
        return bytesAppended;
    }

    /**
     * Sets the schema version stamped on every put appended from now on that carries none (they are
     * written as PUT_V records; see {@link WalRecord}). Until set, such puts are written as kind 1
     * PUT records. The engine sets it when it opens and after each schema change, before any put.
     */
    public synchronized void schemaVersion(int version) {
        if (version < 0) {
            throw new IllegalArgumentException("schema version " + version);
        }
        this.schemaVersion = version;
    }

    /** The first I/O failure, or null. */
    public Throwable failure() {
        return failure;
    }

    /**
     * Appends the records of one transaction followed by its COMMIT record and returns the commit
     * LSN. Memory only; call {@link #awaitDurable} or {@link #awaitWritten} to make it persistent.
     */
    public synchronized long appendTransaction(List<? extends WalRecord> records, long timeMillis) throws IOException {
        checkFailed();
        int n = records.size() + 1;
        int[] ends = new int[n];
        payload.reset();
        WalRecord[] stamped = new WalRecord[records.size()];
        for (int i = 0; i < records.size(); i++) {
            WalRecord r = records.get(i);
            stamped[i] = r instanceof WalRecord.Put p && schemaVersion >= 0 ? p.withSchemaVersion(schemaVersion) : r;
            stamped[i].writePayload(payload);
            ends[i] = payload.position();
        }
        new WalRecord.Commit(records.size(), timeMillis, durableLsn).writePayload(payload);
        ends[n - 1] = payload.position();
        long size = payload.position() + (long) n * WalFormat.FRAME_HEADER_SIZE;
        if (currentEnd > WalFormat.HEADER_SIZE && currentEnd + size > segmentSize) {
            rotate();
        }
        long first = nextLsn;
        int mark = pending.position();
        try {
            int start = 0;
            for (int i = 0; i < n; i++) {
                int kind = i < records.size() ? stamped[i].kind() : WalRecord.COMMIT;
                WalFormat.writeFrame(pending, current.salt, nextLsn++, kind, payload.array(), start, ends[i] - start);
                start = ends[i];
            }
        } catch (RuntimeException e) {
            pending.truncate(mark);
            nextLsn = first;
            throw e;
        }
        if (current.firstLsn == 0) {
            current.firstLsn = first;
        }
        current.lastLsn = nextLsn - 1;
        currentEnd += size;
        bytesAppended += size;
        appendedLsn = nextLsn - 1;
        pendingCommits++;
        unsyncedCommits++;
        Thread gathering = gatheringLeader;
        if (gathering != null && pendingCommits >= gatherTarget) {
            LockSupport.unpark(gathering);
        }
        if (next == null && currentEnd > segmentSize / 2) {
            next = newSegment(current.id + 1);
        }
        return appendedLsn;
    }

    private void rotate() {
        sealed.add(new Chunk(current, pendingStart, pending, true));
        pending = new ByteWriter(64 * 1024);
        current = next != null ? next : newSegment(current.id + 1);
        next = null;
        pendingStart = WalFormat.HEADER_SIZE;
        currentEnd = WalFormat.HEADER_SIZE;
    }

    /** Returns once every record up to {@code lsn} is on stable storage (leader/follower group commit). */
    public void awaitDurable(long lsn) throws IOException {
        flush(lsn, true);
    }

    /** Returns once every record up to {@code lsn} is written to the operating system (not synced). */
    public void awaitWritten(long lsn) throws IOException {
        flush(lsn, false);
    }

    /** Writes and syncs everything appended so far. */
    public void sync() throws IOException {
        flush(appendedLsn(), true);
    }

    private void flush(long upTo, boolean sync) throws IOException {
        if (!becomeLeaderUnlessCovered(upTo, sync)) {
            return;
        }
        try {
            if (sync) {
                gather();
            }
            List<Chunk> batch = new ArrayList<>();
            long last;
            long commits;
            long syncedCommits = 0;
            synchronized (this) {
                commits = pendingCommits;
                pendingCommits = 0;
                if (sync) {
                    syncedCommits = unsyncedCommits;
                    unsyncedCommits = 0;
                }
                batch.addAll(sealed);
                sealed.clear();
                if (pending.position() > 0) {
                    batch.add(new Chunk(current, pendingStart, pending, false));
                    pending = spare != null ? spare : new ByteWriter(64 * 1024);
                    spare = null;
                    pendingStart = currentEnd;
                }
                last = appendedLsn;
            }
            long bytes = 0;
            for (Chunk c : batch) {
                bytes += c.bytes.position();
            }
            long start = System.nanoTime();
            try {
                writeBatch(batch, sync);
            } catch (IOException | RuntimeException | Error e) {
                failure = e;
                throw e;
            }
            writeStats = writeStats.after(bytes, sync, syncedCommits);
            if (sync) {
                durableLsn = last;
                lastSyncNanos = System.nanoTime() - start;
                lastBatchCommits = Math.max(1, commits);
            }
            writtenLsn = last;
        } finally {
            resign();
        }
    }

    /** Leader only: waits briefly for the previous batch size to build up again (see class comment). */
    private void gather() {
        long target = lastBatchCommits;
        if (target <= 1) {
            return;
        }
        long deadline = System.nanoTime() + Math.min(200_000, lastSyncNanos / 2);
        gatherTarget = target;
        gatheringLeader = Thread.currentThread();
        try {
            while (true) {
                synchronized (this) {
                    if (pendingCommits >= target) {
                        return;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            gatheringLeader = null;
        }
    }

    /**
     * Waits until {@code upTo} is covered (returns false) or this thread is the leader (returns
     * true). Throws the first failure if the log failed before covering {@code upTo}.
     *
     * <p>No lost wake-up: a waiter enqueues itself before it checks the flag, and a leader clears
     * the flag before it unparks the queue, so either the waiter sees the flag clear or it is
     * unparked.
     */
    private boolean becomeLeaderUnlessCovered(long upTo, boolean sync) throws IOException {
        Thread me = Thread.currentThread();
        boolean interrupted = false;
        try {
            while (true) {
                if ((sync ? durableLsn : writtenLsn) >= upTo) {
                    return false;
                }
                checkFailed();
                if (leader.compareAndSet(false, true)) {
                    if ((sync ? durableLsn : writtenLsn) >= upTo) {
                        resign();
                        return false;
                    }
                    return true;
                }
                waiters.add(me);
                try {
                    if (leader.get() && (sync ? durableLsn : writtenLsn) < upTo && failure == null) {
                        LockSupport.park(this);
                        interrupted |= Thread.interrupted();
                    }
                } finally {
                    waiters.remove(me);
                }
            }
        } finally {
            if (interrupted) {
                me.interrupt();
            }
        }
    }

    /** Waits, uninterruptibly, until no thread leads, and leads. */
    private void becomeLeader() {
        Thread me = Thread.currentThread();
        boolean interrupted = false;
        while (!leader.compareAndSet(false, true)) {
            waiters.add(me);
            try {
                if (leader.get()) {
                    LockSupport.park(this);
                    interrupted |= Thread.interrupted();
                }
            } finally {
                waiters.remove(me);
            }
        }
        if (interrupted) {
            me.interrupt();
        }
    }

    private void resign() {
        leader.set(false);
        for (Thread t : waiters) {
            LockSupport.unpark(t);
        }
    }

    private void writeBatch(List<Chunk> batch, boolean sync) throws IOException {
        boolean wrote = false;
        for (Chunk c : batch) {
            StorageFile f = c.segment.file();
            if (c.bytes.position() > 0) {
                f.write(c.bytes.asByteBuffer(), c.position);
                dirty.add(c.segment);
                wrote = true;
                crash.reached(CrashPoint.COMMIT_MID_RECORD);
            }
            if (c.seal) {
                if (dirty.remove(c.segment)) {
                    timedSync(f);
                }
                f.close();
                c.segment.closed = true;
                crash.reached(CrashPoint.SEGMENT_ROTATED);
            } else {
                c.bytes.reset();
                spare = c.bytes;
            }
        }
        if (wrote) {
            crash.reached(CrashPoint.COMMIT_AFTER_APPEND);
        }
        if (sync) {
            for (Iterator<Segment> it = dirty.iterator(); it.hasNext(); ) {
                timedSync(it.next().file());
                it.remove();
            }
        }
    }

    /**
     * What the log wrote since open, counted after the write (and the sync) returned: bytes written to
     * the operating system, bytes synced, syncs that made commits durable, the commits they covered and
     * the most covered by one.
     */
    public record WriteStats(long bytesWritten, long bytesSynced, long commitSyncs, long syncedCommits,
            long largestSync) {
        WriteStats after(long bytes, boolean synced, long commits) {
            long written = bytesWritten + bytes;
            return new WriteStats(written, synced ? written : bytesSynced, commitSyncs + (commits > 0 ? 1 : 0),
                    syncedCommits + commits, Math.max(largestSync, commits));
        }
    }

    /** Replaced by the flush leader only, after each successful flush. */
    private volatile WriteStats writeStats = new WriteStats(0, 0, 0, 0, 0);

    /** What the log wrote and synced since open. */
    public WriteStats writeStats() {
        return writeStats;
    }

    /** Log sync latencies since open: count, last, longest and total, in nanoseconds. */
    public record SyncStats(long syncs, long lastNanos, long maxNanos, long totalNanos) {
    }

    private volatile SyncStats syncStats = new SyncStats(0, 0, 0, 0);
    /** {@link System#nanoTime()} when the sync now running began, or 0: a hung sync shows here. */
    private volatile long syncStartedNanos;

    /** Syncs {@code f}, measuring it. Only the flush leader syncs, one at a time. */
    private void timedSync(StorageFile f) throws IOException {
        long start = System.nanoTime();
        syncStartedNanos = start;
        try {
            f.sync();
        } finally {
            syncStartedNanos = 0;
        }
        long nanos = System.nanoTime() - start;
        SyncStats s = syncStats;
        syncStats = new SyncStats(s.syncs() + 1, nanos, Math.max(s.maxNanos(), nanos), s.totalNanos() + nanos);
    }

    /** How long the log sync now running has taken, or 0 when none is running. */
    public long runningSyncNanos() {
        long started = syncStartedNanos;
        return started == 0 ? 0 : Math.max(1, System.nanoTime() - started);
    }

    /** Sync latencies of the log since open. */
    public SyncStats syncStats() {
        return syncStats;
    }

    private void checkFailed() throws IOException {
        Throwable f = failure;
        if (f != null) {
            throw new LogFailedException(f);
        }
    }

    /** Thrown to every caller after the log's first failure, which is its cause. */
    public static final class LogFailedException extends IOException {
        LogFailedException(Throwable first) {
            super("the log failed earlier and accepts no more writes: " + first, first);
        }
    }

    /**
     * Deletes closed segments whose records are all at or below {@code checkpointLsn} (a checkpoint
     * covering them is installed). Returns how many were deleted.
     */
    public int retireUpTo(long checkpointLsn) throws IOException {
        List<Segment> doomed = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Segment> it = live.iterator(); it.hasNext(); ) {
                Segment s = it.next();
                if (s != current && s != next && s.closed && s.lastLsn <= checkpointLsn) {
                    doomed.add(s);
                    it.remove();
                }
            }
        }
        for (Segment s : doomed) {
            io.delete(s.path);
            crash.reached(CrashPoint.SEGMENT_RETIRE_MID_DELETE);
        }
        if (!doomed.isEmpty()) {
            io.syncDirectory(directory);
        }
        return doomed.size();
    }

    /**
     * After {@link #close()}: deletes every segment file when a checkpoint covers everything
     * appended, so the next open loads the checkpoint alone. Returns whether it did.
     */
    public boolean retireAllAfterClose(long checkpointLsn) throws IOException {
        List<Segment> all;
        synchronized (this) {
            if (appendedLsn > checkpointLsn || live.stream().anyMatch(s -> !s.closed)) {
                return false;
            }
            all = new ArrayList<>(live);
            live.clear();
        }
        for (Segment s : all) {
            io.delete(s.path);
            crash.reached(CrashPoint.SEGMENT_RETIRE_MID_DELETE);
        }
        io.syncDirectory(directory);
        return true;
    }

    /**
     * The first failed background preparation of a segment, used or not, or null. After
     * {@link #close()} every preparation has finished, so this is final then.
     */
    public Throwable preparationFailure() {
        return preparationFailure;
    }

    /** Number of segment files this writer tracks (not yet retired). */
    public synchronized int liveSegments() {
        return live.size();
    }

    /** Syncs everything appended (unless failed) and closes the open segment files. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        if (failure == null) {
            try {
                sync();
            } catch (IOException e) {
                first = e;
            }
        }
        becomeLeader();
        try {
            synchronized (this) {
                for (Segment s : live) {
                    if (s.closed) {
                        continue;
                    }
                    try {
                        if (s.file != null) {
                            s.file.close();
                        } else if (s.future != null) {
                            SegmentAllocator.awaitUninterruptibly(s.future).close();
                        }
                    } catch (IOException e) {
                        // A preparation that failed never held data (see preparationFailure()); a
                        // failed close of a written segment after its final sync loses nothing
                        // either, but is reported.
                        if (s.file == null) {
                            if (preparationFailure == null) {
                                preparationFailure = e;
                            }
                        } else if (first == null) {
                            first = e;
                        }
                    }
                    s.closed = true;
                }
            }
        } finally {
            resign();
        }
        if (first != null) {
            throw first;
        }
    }
}
