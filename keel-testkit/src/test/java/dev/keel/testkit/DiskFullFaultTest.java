package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.MULTIPLIER;
import static dev.keel.testkit.WorkloadModel.assertPrefixes;
import static dev.keel.testkit.FaultTestSupport.assertRepairReport;
import static dev.keel.testkit.FaultTestSupport.chainContains;
import static dev.keel.testkit.FaultTestSupport.options;
import static dev.keel.testkit.FaultTestSupport.reopenAndVerify;
import static dev.keel.testkit.FaultTestSupport.repeat;
import static dev.keel.testkit.FaultTestSupport.replay;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.DatabaseFailedException;
import dev.keel.Durability;
import dev.keel.KeelDb;
import dev.keel.StorageException;
import dev.keel.testkit.WorkloadModel.Shape;
import dev.keel.testkit.WorkloadModel.Workload;
import dev.keel.testkit.WorkloadModel.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk during a workload: the write that crosses the limit writes the prefix that fits and
 * fails with "No space left on device", as ENOSPC does. The failing commit must say so, the
 * database must refuse further writes while serving reads of acknowledged data, and once space is
 * freed a reopen must repair the partial write, hold every acknowledged commit and accept writes.
 * The limit falls anywhere: in a commit's log write, in the background preparation of the next log
 * segment, or in a checkpoint.
 *
 * <p>Replay a failure with {@code -Dkeel.test.seed=<seed>}; scale with {@code -Dkeel.test.multiplier}.
 */
class DiskFullFaultTest {
    private static final String ENOSPC = "No space left on device";

    @TempDir
    Path tmp;

    @Test
    void diskFullFailsTheCommitKeepsAcknowledgedDataAndRecoversAfterSpaceIsFreed() {
        repeat("DiskFullFaultTest", 6 * MULTIPLIER, tmp, (seed, dir) -> {
            SplittableRandom random = new SplittableRandom(seed);
            FaultyFileIO io = new FaultyFileIO();
            long[] checkpointTriggers = {64 * 1024, 256L * 1024 * 1024};
            KeelDb db = KeelDb.open(dir, options(io).durability(Durability.SYNC)
                    .checkpointLogSizeInBytes(checkpointTriggers[random.nextInt(2)]).build());
            Shape shape = new Shape(5, 1500, 0);
            int threads = random.nextBoolean() ? 1 : 3;
            Workload load = new Workload(db, threads, random.nextLong(), shape, 1);
            long budget = random.nextLong(160_000);
            io.diskFullAfterBytes(budget);
            load.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && load.writers.stream().anyMatch(w -> w.failure == null)) {
                Thread.sleep(1);
            }
            load.stopAndJoin(seed);
            int[] acked = load.ackedCounts();
            String where = "disk full after " + budget + " more bytes, " + threads + " writers, acknowledged "
                    + Arrays.toString(acked) + "; " + replay(seed);

            List<Throwable> failures = new ArrayList<>();
            for (Writer w : load.writers) {
                assertInstanceOf(StorageException.class, w.failure, "writer " + w.owner + " must end with a storage"
                        + " error; " + where);
                failures.add(w.failure);
            }
            assertTrue(failures.stream().anyMatch(f -> chainContains(f, ENOSPC)), "the failing commit must say \""
                    + ENOSPC + "\": " + failures + "; " + where);
            for (Throwable f : failures) {
                assertTrue(f.getMessage().contains("usable space at " + dir + " is now " + io.usableSpace(dir) + " bytes"),
                        "the error must name the usable space left and what to do: " + f.getMessage() + "; " + where);
            }
            Throwable first = db.failure().orElse(null);
            assertNotNull(first, "db.failure(); " + where);
            assertTrue(chainContains(first, ENOSPC), "db.failure() must be the full disk: " + first + "; " + where);
            DatabaseFailedException refused = assertThrows(DatabaseFailedException.class, db::begin, where);
            assertSame(first, refused.getCause(), where);

            // Reads of acknowledged data still work, and nothing unacknowledged is visible: each
            // writer's last commit failed, so each shows exactly its acknowledged prefix.
            int[] visible = assertPrefixes(db.snapshot(), load.writers, acked, Set.of(), where, seed);
            for (int i = 0; i < visible.length; i++) {
                assertEquals(acked[i], visible[i], "writer " + load.writers.get(i).owner + ": a failed commit is"
                        + " visible; " + where);
            }

            io.freeSpace();
            // close() of the failed database must work; its result is asserted at the end so that a
            // failing close does not hide what recovery does with the directory.
            Throwable closeError = null;
            try {
                db.close();
            } catch (RuntimeException e) {
                closeError = e;
            }
            // Reopen on the same (now roomy) file layer: it repairs what the full disk left half
            // written, and accepts writes again.
            Writer more = new Writer(500, random.nextLong(), shape);
            List<Writer> all = new ArrayList<>(load.writers);
            try (KeelDb reopened = KeelDb.open(dir, options(io).build())) {
                assertRepairReport(reopened.recoveryReport(), null, where, seed);
                int[] found = assertPrefixes(reopened.snapshot(), load.writers, acked, Set.of(), where, seed);
                for (int i = 0; i < found.length; i++) {
                    acked[i] = found[i];
                }
                for (int i = 0; i < 5; i++) {
                    more.commitNext(reopened);
                }
                reopened.checkpoint();
            }
            all.add(more);
            int[] required = Arrays.copyOf(acked, acked.length + 1);
            required[acked.length] = more.acked();
            reopenAndVerify(dir, all, required, null, where, seed);
            if (closeError != null) {
                throw new AssertionError("close() of the database failed by the full disk threw (it must release"
                        + " the database without re-reporting the failure): " + closeError + "; " + where, closeError);
            }
        });
    }

    /**
     * The full disk hits the background preparation of the next log segment (64 KiB of zeros), then
     * the next commit's own write: the commit fails and the database is FAILED. Closing it must
     * work, like closing any failed database: the preparation that failed never produced a file, so
     * there is nothing to close and nothing new to report.
     */
    @Test
    void closeOfADatabaseFailedByAFullDiskDuringSegmentPreparationWorks() throws Exception {
        Path dir = tmp.resolve("prep");
        FaultyFileIO io = new FaultyFileIO();
        KeelDb db = KeelDb.open(dir, options(io).durability(Durability.SYNC).build());
        // Room for about eight 4.5 KB commits: the segment passes half full (32 KiB) and the
        // preparation of the next one (64 KiB) cannot fit in what is left.
        io.diskFullAfterBytes(40_000);
        Writer w = new Writer(1, 42, new Shape(1, 4000, 0));
        StorageException failed = null;
        for (int i = 0; i < 100 && failed == null; i++) {
            try {
                w.commitNext(db);
            } catch (StorageException e) {
                failed = e;
            }
        }
        assertNotNull(failed, "a commit must fail");
        assertTrue(chainContains(failed, ENOSPC), failed.toString());
        assertTrue(db.failure().isPresent());
        io.freeSpace();
        assertDoesNotThrow(db::close, "close() of a failed database");
        reopenAndVerify(dir, List.of(w), new int[] {w.acked()}, null, "segment preparation hit the full disk", 42);
    }
}
