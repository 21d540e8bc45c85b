package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.MULTIPLIER;
import static dev.keel.testkit.WorkloadModel.assertPrefixes;
import static dev.keel.testkit.FaultTestSupport.injected;
import static dev.keel.testkit.FaultTestSupport.isCheckpointTemp;
import static dev.keel.testkit.FaultTestSupport.isWal;
import static dev.keel.testkit.FaultTestSupport.options;
import static dev.keel.testkit.FaultTestSupport.reopenAndVerify;
import static dev.keel.testkit.FaultTestSupport.repeat;
import static dev.keel.testkit.FaultTestSupport.replay;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.DatabaseFailedException;
import dev.keel.Durability;
import dev.keel.KeelDb;
import dev.keel.StorageException;
import dev.keel.Transaction;
import dev.keel.testkit.WorkloadModel.Shape;
import dev.keel.testkit.WorkloadModel.Workload;
import dev.keel.testkit.WorkloadModel.Writer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G5, no silent failure: a failed log sync or write, or a failed checkpoint, reaches the caller as
 * a {@link StorageException}, moves the database to FAILED (first cause kept, every later write
 * refused with {@link DatabaseFailedException} carrying it, reads of acknowledged data still
 * served), never makes the failed commit visible, and a reopen recovers every acknowledged commit.
 * Also the "fsync gate": a failed sync that throws away the dirty pages (as Linux does) must not
 * lose anything acknowledged.
 *
 * <p>Replay a failure with {@code -Dkeel.test.seed=<seed>}; scale with {@code -Dkeel.test.multiplier}.
 */
class FsyncFailureFaultTest {
    private static final Shape SHAPE = new Shape(5, 300, 0);
    private static final Map<String, Object> STRAY = Map.of("owner", 77L, "tx", 1L, "slot", 0L);

    @TempDir
    Path tmp;

    @Test
    void failedLogSyncMovesTheDatabaseToFailed() {
        repeat("FsyncFailureFaultTest.sync", 4 * MULTIPLIER, tmp, (seed, dir) ->
                failingCommit(seed, dir, IoOp.SYNC, false));
    }

    /** The fsync gate: the failed sync also drops the file's dirty data, as the Linux page cache does. */
    @Test
    void failedLogSyncThatDropsDirtyDataLosesNothingAcknowledged() {
        repeat("FsyncFailureFaultTest.gate", 4 * MULTIPLIER, tmp, (seed, dir) ->
                failingCommit(seed, dir, IoOp.SYNC, true));
    }

    @Test
    void failedLogWriteMovesTheDatabaseToFailed() {
        repeat("FsyncFailureFaultTest.write", 3 * MULTIPLIER, tmp, (seed, dir) ->
                failingCommit(seed, dir, IoOp.WRITE, false));
    }

    /**
     * One writer commits; the n-th {@code op} on a log segment fails. A transaction begun before the
     * failure is kept open to check that it cannot commit afterwards either.
     */
    private static void failingCommit(long seed, Path dir, IoOp op, boolean dropDirty) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        FaultyFileIO io = new FaultyFileIO();
        io.dropDirtyDataOnFailedSync(dropDirty);
        KeelDb db = KeelDb.open(dir, options(io).durability(Durability.SYNC).build());
        Writer w = new Writer(1, random.nextLong(), SHAPE);
        int warmup = random.nextInt(20);
        for (int i = 0; i < warmup; i++) {
            w.commitNext(db);
        }
        Transaction open = db.begin();
        open.insert("Item", STRAY);
        long nth = 1 + random.nextInt(80);
        io.arm(FaultPlan.failNth(op, nth).onlyPaths(FaultTestSupport::isWal));
        StorageException failed = null;
        for (int i = 0; i < 1000 && failed == null; i++) {
            try {
                w.commitNext(db);
            } catch (StorageException e) {
                failed = e;
            }
        }
        String context = op + " #" + nth + " of a log segment fails (dropDirtyDataOnFailedSync=" + dropDirty
                + ", " + w.acked() + " commits acknowledged)";
        assertNotNull(failed, "no commit failed; " + context + "; " + replay(seed));
        assertEquals(w.acked() + 1, w.attempted.size(), "the failing call is the commit; " + context + "; "
                + replay(seed));
        assertFailedState(db, failed, op, w, open, context, seed);
        assertDoesNotThrow(db::close, "close of a failed database; " + context + "; " + replay(seed));
        reopenAndVerify(dir, List.of(w), new int[] {w.acked()}, null, context, seed);
    }

    /**
     * After the failure {@code failed} of an {@code op}: the failure names the injected fault, is kept
     * as the first failure, every write is refused with it, and reads show exactly the acknowledged
     * commits (the failed one is not visible), also a little later.
     */
    private static void assertFailedState(KeelDb db, StorageException failed, IoOp op, Writer w, Transaction open,
            String context, long seed) throws InterruptedException {
        String where = context + "; " + replay(seed);
        InjectedFaultException fault = injected(failed);
        assertNotNull(fault, "the commit's exception must carry the I/O failure: " + failed + "; " + where);
        assertEquals(op, fault.operation(), where);
        assertFalse(failed instanceof DatabaseFailedException, "the call that hit the fault reports it as the first"
                + " failure, not as an earlier one: " + failed + "; " + where);
        Throwable first = db.failure().orElse(null);
        assertNotNull(first, "db.failure() must report the failure; " + where);
        assertSame(fault, first, "db.failure() must be the original I/O failure; " + where);
        assertRefusesWrites(db, first, open, where);
        assertEquals(w.acked(), assertPrefixes(db.snapshot(), List.of(w), new int[] {w.acked()}, Set.of(),
                context + "; failed database", seed)[0], "the failed commit must not be visible; " + where);
        Thread.sleep(50);
        assertEquals(w.acked(), assertPrefixes(db.snapshot(), List.of(w), new int[] {w.acked()}, Set.of(),
                context + "; failed database, later", seed)[0], "the failed commit must never become visible; "
                + where);
        assertSame(first, db.failure().orElse(null), "the first failure is kept; " + where);
    }

    private static void assertRefusesWrites(KeelDb db, Throwable first, Transaction open, String where) {
        assertSame(first, assertThrows(DatabaseFailedException.class, db::begin, "begin; " + where).getCause(),
                "begin; " + where);
        assertSame(first, assertThrows(DatabaseFailedException.class, () -> db.execute(tx -> tx.insert("Item", STRAY)),
                "execute; " + where).getCause(), "execute; " + where);
        assertSame(first, assertThrows(DatabaseFailedException.class, () -> db.write(tx -> tx.insert("Item", STRAY)),
                "write; " + where).getCause(), "write; " + where);
        assertSame(first, assertThrows(DatabaseFailedException.class, db::checkpoint, "checkpoint; " + where)
                .getCause(), "checkpoint; " + where);
        if (open != null) {
            assertSame(first, assertThrows(DatabaseFailedException.class, () -> open.insert("Item", STRAY),
                    "insert in a transaction begun before the failure; " + where).getCause(), where);
            assertSame(first, assertThrows(DatabaseFailedException.class, open::commit,
                    "commit of a transaction begun before the failure; " + where).getCause(), where);
            open.close();
        }
        assertTrue(db.snapshot().scan("Item").noneMatch(e -> e.getLong("owner") == 77L),
                "a refused write is visible; " + where);
    }

    /**
     * Several threads share group-commit syncs when one fails: every thread ends with a
     * StorageException, none of the failed commits is visible, and the database reports the
     * original I/O failure as its first failure.
     */
    @Test
    void failedSharedLogSyncFailsEveryWaitingCommitter() {
        repeat("FsyncFailureFaultTest.concurrent", 4 * MULTIPLIER, tmp, (seed, dir) -> {
            SplittableRandom random = new SplittableRandom(seed);
            boolean dropDirty = random.nextBoolean();
            FaultyFileIO io = new FaultyFileIO();
            io.dropDirtyDataOnFailedSync(dropDirty);
            KeelDb db = KeelDb.open(dir, options(io).durability(Durability.SYNC).build());
            long nth = 1 + random.nextInt(60);
            io.arm(FaultPlan.failNth(IoOp.SYNC, nth).onlyPaths(FaultTestSupport::isWal));
            Workload load = new Workload(db, 3 + random.nextInt(2), random.nextLong(), SHAPE, 1).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && load.writers.stream().anyMatch(w -> w.failure == null)) {
                Thread.sleep(1);
            }
            load.stopAndJoin(seed);
            String where = "log SYNC #" + nth + " fails under " + load.writers.size() + " writers (dropDirty="
                    + dropDirty + "); " + replay(seed);
            int[] acked = load.ackedCounts();
            for (Writer w : load.writers) {
                assertInstanceOf(StorageException.class, w.failure, "writer " + w.owner + "; " + where);
            }
            for (Writer w : load.writers) {
                assertNotNull(injected(w.failure), "writer " + w.owner + ": the error must carry the I/O failure: "
                        + w.failure + "; " + where);
            }
            Throwable first = db.failure().orElse(null);
            assertNotNull(first, where);
            assertNotNull(injected(first), "db.failure() must carry the I/O failure: " + first + "; " + where);
            // Which exception is kept as the first failure is checked last, so that a wrong one does
            // not hide what the rest of the scenario (refusals, reads, recovery) would find.
            String firstProblem = null;
            if (!(first instanceof InjectedFaultException)) {
                firstProblem = "db.failure() must be the original I/O failure, not a wrapper: " + first;
            } else if (load.writers.stream().noneMatch(w -> injected(w.failure) == first
                    && !(w.failure instanceof DatabaseFailedException))) {
                firstProblem = "the committer whose sync failed must get that failure, not a DatabaseFailedException";
            }
            assertRefusesWrites(db, first, null, where);
            int[] visible = assertPrefixes(db.snapshot(), load.writers, acked, Set.of(), where, seed);
            for (int i = 0; i < visible.length; i++) {
                assertEquals(acked[i], visible[i], "writer " + load.writers.get(i).owner + ": a commit that failed is"
                        + " visible; " + where);
            }
            assertDoesNotThrow(db::close, where);
            reopenAndVerify(dir, load.writers, acked, null, where, seed);
            if (firstProblem != null) {
                List<String> seen = load.writers.stream().map(w -> String.valueOf(w.failure)).toList();
                throw new AssertionError(firstProblem + "; writers got " + seen + "; " + where);
            }
        });
    }

    /** An explicit checkpoint whose temp-file write fails moves the database to FAILED. */
    @Test
    void failedCheckpointMovesTheDatabaseToFailed() {
        repeat("FsyncFailureFaultTest.checkpoint", 3 * MULTIPLIER, tmp, (seed, dir) -> {
            SplittableRandom random = new SplittableRandom(seed);
            FaultyFileIO io = new FaultyFileIO();
            KeelDb db = KeelDb.open(dir, options(io).durability(Durability.SYNC).build());
            Writer w = new Writer(1, random.nextLong(), SHAPE);
            int commits = 1 + random.nextInt(40);
            for (int i = 0; i < commits; i++) {
                w.commitNext(db);
            }
            Transaction open = db.begin();
            open.insert("Item", STRAY);
            io.arm(FaultPlan.failNth(IoOp.WRITE, 1).onlyPaths(FaultTestSupport::isCheckpointTemp));
            StorageException failed = assertThrows(StorageException.class, db::checkpoint, replay(seed));
            String context = "checkpoint temp-file write fails after " + commits + " commits";
            assertFailedState(db, failed, IoOp.WRITE, w, open, context, seed);
            assertDoesNotThrow(db::close, context + "; " + replay(seed));
            reopenAndVerify(dir, List.of(w), new int[] {w.acked()}, null, context, seed);
        });
    }

    /**
     * A background checkpoint (triggered by log size) whose temp-file write fails is not silent:
     * the database moves to FAILED and the next write reports the checkpoint's failure.
     */
    @Test
    void failedBackgroundCheckpointMovesTheDatabaseToFailed() {
        repeat("FsyncFailureFaultTest.backgroundCheckpoint", 2 * MULTIPLIER, tmp, (seed, dir) -> {
            SplittableRandom random = new SplittableRandom(seed);
            FaultyFileIO io = new FaultyFileIO();
            KeelDb db = KeelDb.open(dir, options(io).durability(Durability.SYNC)
                    .checkpointLogSizeInBytes(64 * 1024).build());
            io.arm(FaultPlan.failNth(IoOp.WRITE, 1).onlyPaths(FaultTestSupport::isCheckpointTemp));
            Writer w = new Writer(1, random.nextLong(), new Shape(5, 1500, 0));
            StorageException refused = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (refused == null && System.nanoTime() < deadline) {
                try {
                    w.commitNext(db);
                } catch (StorageException e) {
                    refused = e;
                }
            }
            String where = "background checkpoint write fails after " + w.acked() + " commits; " + replay(seed);
            assertNotNull(refused, "the failed background checkpoint never reached a writer; " + where);
            Throwable first = db.failure().orElse(null);
            assertNotNull(first, where);
            InjectedFaultException fault = injected(first);
            assertNotNull(fault, "db.failure() must carry the checkpoint's I/O failure: " + first + "; " + where);
            assertTrue(isCheckpointTemp(Path.of(fault.getMessage().substring(fault.getMessage().indexOf(" on ") + 4))),
                    "the failure is the checkpoint's: " + fault + "; " + where);
            assertInstanceOf(DatabaseFailedException.class, refused, where);
            assertSame(first, refused.getCause(), where);
            assertRefusesWrites(db, first, null, where);
            int m = assertPrefixes(db.snapshot(), List.of(w), new int[] {w.acked()}, Set.of(), where, seed)[0];
            assertEquals(w.acked(), m, "a refused commit is visible; " + where);
            assertDoesNotThrow(db::close, where);
            reopenAndVerify(dir, List.of(w), new int[] {w.acked()}, null, where, seed);
        });
    }

    @Test
    void pathPredicates() {
        assertTrue(isWal(Path.of("/d/wal-0000000000000001.log")));
        assertFalse(isWal(Path.of("/d/wal-0000000000000001.log.tmp")));
        assertFalse(isCheckpointTemp(Path.of("/d/checkpoint-0000000000000001.kcp")));
    }
}
