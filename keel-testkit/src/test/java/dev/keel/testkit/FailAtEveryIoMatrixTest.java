package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.MULTIPLIER;
import static dev.keel.testkit.FaultTestSupport.closeDead;
import static dev.keel.testkit.FaultTestSupport.injected;
import static dev.keel.testkit.FaultTestSupport.options;
import static dev.keel.testkit.FaultTestSupport.reopenAndVerify;
import static dev.keel.testkit.FaultTestSupport.repeat;
import static dev.keel.testkit.FaultTestSupport.replay;
import static dev.keel.testkit.FaultTestSupport.walId;
import static dev.keel.testkit.WorkloadModel.assertPrefixes;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.DatabaseFailedException;
import dev.keel.Durability;
import dev.keel.KeelDb;
import dev.keel.KeelException;
import dev.keel.KeelOptions;
import dev.keel.StorageException;
import dev.keel.testkit.MatrixSupport.Op;
import dev.keel.testkit.MatrixSupport.OpTrace;
import dev.keel.testkit.WorkloadModel.Shape;
import dev.keel.testkit.WorkloadModel.Writer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G5 and G2 at every I/O point (STYLE.md habit 7, H2 {@code TestKillProcessWhileWriting}): a
 * deterministic, seeded scenario runs once on a {@link FaultyFileIO} to count its I/O operations;
 * then, for every n from 1 to that count, it runs again on a fresh directory with the n-th
 * operation failing, once and forever. Every run must:
 * <ul>
 *   <li>report the fault: some call (open, commit, checkpoint, close) throws a
 *       {@link KeelException} whose cause chain holds the {@link InjectedFaultException}, never a
 *       bare JDK exception and never nothing (a fault on a background thread must surface too);</li>
 *   <li>after a failed commit or checkpoint: be FAILED with the injected fault as first failure,
 *       refuse writes with {@link DatabaseFailedException}, show exactly the acknowledged commits,
 *       and close without throwing;</li>
 *   <li>after the power is then cut (unsynced writes and directory changes lost), reopen in NORMAL
 *       mode with a fresh layer holding every acknowledged transaction and no partial one, and
 *       accept new commits ({@link FaultTestSupport#reopenAndVerify}).</li>
 * </ul>
 *
 * <p>Scenario (SYNC, 64 KiB segments, one writer of {@link WorkloadModel}, sizes from the seed):
 * open; a few commits; an explicit checkpoint; commits until the log has rotated into a second
 * segment; close (checkpoint on close, segments retired); reopen (recovery loads the checkpoint);
 * more commits; close (deletes the older checkpoint). A second test runs it with checkpoints also
 * triggered by log size on the checkpoint thread. The I/O count of the first is deterministic;
 * only the interleaving of the background segment preparation (and, in the second, of background
 * checkpoints) with the caller's operations varies, so a replay re-runs the same scenario and the
 * same n, not necessarily the same operation at n; a run that ends before its n-th operation is
 * counted as "not reached".
 *
 * <p>Two engine bugs this matrix found (a failed fault reported by no call) have regression tests
 * at the end.
 *
 * <p>Counts: per test {@code 2 * MULTIPLIER} scenario seeds (2 in CI, 20 with {@code -Plong}),
 * each with every n from 1 to its I/O count (about 150), once and forever: about 600 cases per
 * test in CI. Replay with {@code -Dkeel.test.seed=<seed>}.
 */
class FailAtEveryIoMatrixTest {
    private static final Shape SHAPE = new Shape(4, 3000, 0);
    private static final Duration CASE_TIMEOUT = Duration.ofSeconds(60);
    private static final String SEGMENT_THREAD = "keel-segments-";
    private static final String CHECKPOINT_THREAD = "keel-checkpoint-";
    /** Scenario seeds per test: each runs every n, once and forever. */
    private static final int SEEDS = 2 * MULTIPLIER;

    @TempDir
    Path tmp;

    private Path scratch;

    @BeforeEach
    void scratch() throws IOException {
        scratch = MatrixSupport.scratchBase(tmp, "keel-fail-at-every-io-");
    }

    @AfterEach
    void cleanUp() {
        if (!scratch.equals(tmp)) {
            MatrixSupport.deleteTree(scratch);
        }
    }

    /** The scenario's shape, derived from its seed. */
    record Plan(boolean backgroundCheckpoints, long writerSeed, int beforeCheckpoint, int afterCheckpoint,
            int afterReopen) {
        static Plan of(long seed, boolean backgroundCheckpoints) {
            SplittableRandom random = new SplittableRandom(seed);
            return new Plan(backgroundCheckpoints, random.nextLong(), 2 + random.nextInt(4), 28 + random.nextInt(8),
                    2 + random.nextInt(5));
        }
    }

    /** What one run of the scenario did: the writer's model, the first error and where it came from. */
    static final class Outcome {
        final Writer writer;
        /** Every database this run opened, also those closed since. */
        final List<KeelDb> opened = new ArrayList<>();
        KeelDb db;
        String failedStep;
        RuntimeException error;

        Outcome(Writer writer) {
            this.writer = writer;
        }

        /** Runs one API call; on an exception records it and returns false (the scenario stops). */
        boolean step(String name, Runnable call) {
            try {
                call.run();
                return true;
            } catch (RuntimeException e) {
                failedStep = name;
                error = e;
                return false;
            }
        }

        boolean close(String name) {
            KeelDb closing = db;
            db = null;
            return step(name, closing::close);
        }

        boolean commits(String phase, int n) {
            for (int i = 0; i < n; i++) {
                String name = "commit " + (writer.attempted.size() + 1) + " (" + phase + ")";
                if (!step(name, () -> writer.commitNext(db))) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Runs the scenario until it ends or the first call throws; the database may be left open. */
    static Outcome runScenario(Path dir, FaultyFileIO io, Plan plan) {
        KeelOptions.Builder builder = options(io).durability(Durability.SYNC);
        if (plan.backgroundCheckpoints()) {
            builder.checkpointLogSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE);
        }
        KeelOptions options = builder.build();
        Outcome out = new Outcome(new Writer(1, plan.writerSeed(), SHAPE));
        boolean ok = out.step("open", () -> out.opened.add(out.db = KeelDb.open(dir, options)))
                && out.commits("before checkpoint", plan.beforeCheckpoint())
                && out.step("checkpoint", () -> out.db.checkpoint())
                && out.commits("after checkpoint, rotating", plan.afterCheckpoint())
                && out.close("close")
                && out.step("reopen", () -> out.opened.add(out.db = KeelDb.open(dir, options)))
                && out.commits("after reopen", plan.afterReopen())
                && out.close("final close");
        assertTrue(ok == (out.error == null));
        return out;
    }

    /** Case counts for the summary line. */
    private static final class Counts {
        final Map<String, Long> cases = new TreeMap<>();
        final Map<String, Long> byStep = new TreeMap<>();
        final Map<String, Long> byKind = new TreeMap<>();
        final Map<String, Long> byThread = new TreeMap<>();
        final List<Long> opsPerScenario = new ArrayList<>();
        long notFired;

        void add(Map<String, Long> m, String key) {
            m.merge(key, 1L, Long::sum);
        }
    }

    /** The scenario with explicit checkpoints only (checkpoint(), and on close). */
    @Test
    void failEveryIoOperationOnceAndForever() {
        matrix("FailAtEveryIoMatrixTest", false);
    }

    /**
     * The same scenario with a checkpoint also triggered by log size (64 KiB) on the checkpoint
     * thread while commits go on: a fault there must reach a later call, too.
     */
    @Test
    void failEveryIoOperationWithBackgroundCheckpoints() {
        matrix("FailAtEveryIoMatrixTest.background", true);
    }

    private void matrix(String name, boolean backgroundCheckpoints) {
        Counts counts = new Counts();
        long started = System.nanoTime();
        repeat(name, SEEDS, scratch, (seed, dir) -> {
            Plan plan = Plan.of(seed, backgroundCheckpoints);
            FaultyFileIO io = new FaultyFileIO();
            OpTrace cleanTrace = new OpTrace(io);
            io.arm(new FaultPlan(EnumSet.allOf(IoOp.class), Long.MAX_VALUE, false, cleanTrace));
            Path cleanDir = dir.resolve("clean");
            Outcome clean = runScenario(cleanDir, io, plan);
            assertNull(clean.error, () -> "the clean run failed at " + clean.failedStep + ": " + clean.error + "; "
                    + plan + "; " + replay(seed));
            long total = io.ioCount();
            assertEquals(total, cleanTrace.ops().size(), "every operation traced; " + replay(seed));
            assertTrue(cleanTrace.ops().stream().anyMatch(o -> o.kind() == IoOp.WRITE && walId(o.path()) >= 2),
                    "the scenario must rotate the log into a second segment; " + plan + "; " + replay(seed));
            reopenAndVerify(cleanDir, List.of(clean.writer), new int[] {clean.writer.acked()}, null, "clean run", seed);
            MatrixSupport.deleteTree(cleanDir);
            counts.opsPerScenario.add(total);
            System.out.println(name + ": " + plan + ", " + total + " I/O operations, " + clean.writer.acked()
                    + " commits; " + replay(seed));
            for (long n = 1; n <= total; n++) {
                for (boolean forever : new boolean[] {false, true}) {
                    long nth = n;
                    assertTimeoutPreemptively(CASE_TIMEOUT, () -> runCase(seed, dir, plan, nth, total, forever,
                            cleanTrace.op(nth), counts), () -> "hang: fault at I/O operation " + nth + (forever
                            ? " forever" : " once") + " did not finish within " + CASE_TIMEOUT + "; " + replay(seed));
                }
            }
        });
        System.out.println(name + " summary: " + counts.opsPerScenario.size() + " scenario seeds with "
                + counts.opsPerScenario + " I/O operations, each failed once and forever (every n, in CI and in"
                + " -Plong); cases " + counts.cases + "; failing call " + counts.byStep + "; failed operation kind "
                + counts.byKind + "; thread of the failed operation " + counts.byThread + "; fault not reached "
                + counts.notFired + "; "
                + (System.nanoTime() - started) / 1_000_000 + " ms");
    }

    private static void runCase(long seed, Path dir, Plan plan, long n, long total, boolean forever, Op cleanOp,
            Counts counts) throws IOException {
        String mode = forever ? "forever" : "once";
        Path caseDir = dir.resolve(mode + "-" + n);
        FaultyFileIO io = new FaultyFileIO();
        OpTrace trace = new OpTrace(io);
        FaultPlan faultPlan = FaultPlan.failNthOperation(n).onlyPaths(trace);
        io.arm(forever ? faultPlan.forever() : faultPlan);
        Outcome out = runScenario(caseDir, io, plan);
        Op failed = trace.op(n);
        String where = "I/O operation " + n + " of " + total + " fails " + mode + " (" + (failed != null ? failed
                : "not reached") + "; in the clean run " + cleanOp + "), " + (out.error == null ? "no call threw"
                : out.failedStep + " threw " + out.error) + ", " + out.writer.acked() + " commits acknowledged; "
                + plan + "; " + replay(seed);
        counts.add(counts.cases, mode);
        if (io.faultsInjected() == 0) {
            // The run took fewer operations than the clean one (the background preparation of a
            // segment interleaved differently); nothing failed, so it must simply have completed.
            assertNull(out.error, where);
            counts.notFired++;
        } else if (out.error == null) {
            // G5: every storage error reaches the caller (two bugs found here once broke it: see the
            // regression tests below).
            throw new AssertionError("the injected fault was swallowed: no call threw; " + where);
        } else {
            assertFaultReported(out, failed, forever, where, seed);
            counts.add(counts.byStep, out.failedStep.replaceAll("^commit [0-9]+", "commit").replaceAll(" \\(.*", ""));
            counts.add(counts.byKind, failed.kind().toString());
            counts.add(counts.byThread, failed.thread().startsWith(SEGMENT_THREAD) ? "segment preparation"
                    : failed.thread().startsWith(CHECKPOINT_THREAD) ? "background checkpoint" : "calling thread");
        }
        if (out.db != null) {
            closeDead(out.db);
        }
        io.powerLoss();
        reopenAndVerify(caseDir, List.of(out.writer), new int[] {out.writer.acked()}, null, where, seed);
        MatrixSupport.deleteTree(caseDir);
    }

    /**
     * The call that failed reports the injected fault as a KeelException; a database left open by
     * a failed commit or checkpoint is FAILED with that fault as first failure, refuses writes,
     * serves exactly the acknowledged commits and closes without throwing.
     */
    private static void assertFaultReported(Outcome out, Op failed, boolean forever, String where, long seed) {
        assertInstanceOf(KeelException.class, out.error, "the failing call must throw a KeelException; " + where);
        InjectedFaultException fault = injected(out.error);
        assertNotNull(fault, "the exception must carry the injected fault in its cause chain; " + where);
        assertNotNull(failed, where);
        if (forever) {
            // Every operation from the n-th on fails; the caller may hit a later one first (the n-th
            // may have been the background preparation of a segment not yet needed).
            assertTrue(fault.ordinal() >= failed.index(), "the fault reported was injected; " + where);
        } else {
            assertEquals(failed.index(), fault.ordinal(), "the fault reported is the one injected; " + where);
            assertEquals(failed.kind(), fault.operation(), "the fault reported is the one injected; " + where);
        }
        if (out.db == null) {
            return; // open or close failed: nothing left open (the reopen proves the lock was released)
        }
        Throwable first = out.db.failure().orElse(null);
        assertNotNull(first, "a failed " + out.failedStep + " must move the database to FAILED; " + where);
        assertSame(fault, injected(first), "db.failure() must be the injected fault; " + where);
        DatabaseFailedException refused = assertThrows(DatabaseFailedException.class, out.db::begin,
                "a FAILED database refuses writes; " + where);
        assertSame(first, refused.getCause(), where);
        int acked = out.writer.acked();
        int visible = assertPrefixes(out.db.snapshot(), List.of(out.writer), new int[] {acked}, Set.of(),
                "failed database; " + where, seed)[0];
        assertEquals(acked, visible, "a commit that failed is visible; " + where);
        KeelDb db = out.db;
        out.db = null;
        assertDoesNotThrow(db::close, "close of a FAILED database; " + where);
    }

    // ---- regression tests of engine bugs this matrix found ----------------------------------------

    /**
     * Found by the once-mode matrix (e.g. seed -8972612482778208254, I/O operation 96, a
     * SYNC_DIRECTORY on the segment-preparation thread): the background preparation of the next log
     * segment fails, the log never rotates into it, and close() returns normally with
     * {@code failure()} empty. The I/O error reaches no caller (G5). Where: {@code WalWriter.close()}
     * drops the failure of a prepared segment whose file was never taken ({@code s.file == null}),
     * and nothing else looks at the future.
     */
    @Test
    void failedPreparationOfAnUnusedSegmentReachesTheCaller() throws Exception {
        Path dir = scratch.resolve("unused-segment");
        FaultyFileIO io = new FaultyFileIO();
        KeelDb db = KeelDb.open(dir, options(io).durability(Durability.SYNC).build());
        io.arm(FaultPlan.failNth(IoOp.OPEN, 1)
                .onlyPaths(p -> p.getFileName().toString().equals("wal-0000000000000002.log.tmp")));
        // The next segment is prepared once the first is half full (32 KiB): 12 commits of about 4 KB
        // pass that and stay below 64 KiB, so the log never rotates into the failed segment.
        // Since the fix the database fails as soon as the preparation does, so a later commit of
        // these may already be refused with it: that, too, is the error reaching a caller.
        RuntimeException commitError = null;
        for (long i = 1; i <= 12 && commitError == null; i++) {
            long tx = i;
            try {
                db.execute(t -> t.insert("Item", Map.of("owner", 1L, "tx", tx, "slot", 0L, "payload",
                        "x".repeat(4000))));
            } catch (RuntimeException e) {
                commitError = e;
            }
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (io.faultsInjected() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(1, io.faultsInjected(), "the preparation of segment 2 failed");
        RuntimeException closeError = null;
        try {
            db.close();
        } catch (RuntimeException e) {
            closeError = e;
        }
        boolean reported = injected(commitError) != null || injected(closeError) != null
                || db.failure().map(f -> injected(f) != null).orElse(false);
        assertTrue(reported, "the failed preparation must reach the caller (close() throws it, or the database is"
                + " FAILED with it); close() threw " + closeError + ", failure() " + db.failure());
    }

    /**
     * Found by the background-checkpoint matrix (e.g. seed 8362304820479012738, I/O operation 115, a
     * SYNC_DIRECTORY on the checkpoint thread): a checkpoint triggered by log size fails after the
     * last commit; the database is FAILED, but close() (which waits for that checkpoint) returns
     * normally, so no caller ever hears of the failure (G5). Where: {@code Engine.close()} skips
     * the close checkpoint when {@code failure} is set and throws nothing, which is right for a
     * failure some call already reported, not for one only the background saw.
     */
    @Test
    void backgroundCheckpointFailureJustBeforeCloseReachesTheCaller() throws Exception {
        Path dir = scratch.resolve("background-checkpoint");
        FaultyFileIO io = new FaultyFileIO();
        KeelDb db = KeelDb.open(dir, options(io).durability(Durability.SYNC)
                .checkpointLogSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE).build());
        io.arm(FaultPlan.failNth(IoOp.WRITE, 1).onlyPaths(FaultTestSupport::isCheckpointTemp));
        // One commit larger than the trigger queues a checkpoint on the checkpoint thread.
        db.execute(tx -> tx.insert("Item", Map.of("owner", 1L, "tx", 1L, "slot", 0L, "payload", "x".repeat(70_000))));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (db.failure().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertNotNull(injected(db.failure().orElse(null)), "the background checkpoint failed: " + db.failure());
        StorageException closeError = assertThrows(StorageException.class, db::close, "close() is the first call"
                + " after the background failure and must report it");
        assertNotNull(injected(closeError), closeError.toString());
    }
}
