package dev.keel.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.DatabaseStatistics;
import dev.keel.Durability;
import dev.keel.KeelDb;
import dev.keel.RecoveryMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KeelDb#statistics()}: what each counter counts, and that it moves only once the work is done (G5). */
class StatisticsTest {
    @TempDir
    Path tmp;

    @Test
    void countsCommitsSyncsBytesBatchesAndCheckpoints() {
        FakeClock clock = new FakeClock();
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), HealthTest.options().clock(clock).build())) {
            DatabaseStatistics start = db.statistics();
            assertEquals(0, start.commits());
            assertEquals(0, start.checkpoints());
            assertNull(start.lastCheckpoint());
            assertNull(start.lastCheckpointDuration());
            for (long i = 1; i <= 5; i++) {
                long n = i;
                db.execute(tx -> tx.insert("Item", Map.of("n", n)));
            }
            clock.advance(Duration.ofSeconds(30));
            DatabaseStatistics s = db.statistics();
            assertEquals(5, s.commits());
            assertTrue(s.logSyncs() >= 5, "a SYNC commit syncs: " + s);
            assertTrue(s.logBytesWritten() > start.logBytesWritten(), s.toString());
            assertEquals(s.logBytesWritten(), s.logBytesSynced(), "SYNC: everything written is synced");
            assertTrue(s.groupCommitTransactions() - start.groupCommitTransactions() >= 5, s.toString());
            assertTrue(s.groupCommitBatches() >= 1 && s.largestGroupCommit() >= 1, s.toString());
            assertTrue(s.logSyncTime().compareTo(s.longestLogSync()) >= 0, s.toString());
            assertEquals(Duration.ofSeconds(30), s.checkpointAge(), "no checkpoint yet: age since open");
            assertTrue(s.logBytesSinceCheckpoint() > 0, s.toString());

            db.checkpoint();
            DatabaseStatistics c = db.statistics();
            assertEquals(1, c.checkpoints());
            assertNotNull(c.lastCheckpointDuration());
            assertEquals(clock.instant(), c.lastCheckpoint());
            assertEquals(Duration.ZERO, c.checkpointAge());
            assertEquals(0, c.logBytesSinceCheckpoint());
        }
    }

    @Test
    void aCommitIsCountedOnlyOnceItsSyncReturned() throws Exception {
        StallingSyncFileIO io = new StallingSyncFileIO();
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), HealthTest.options().fileIO(io).build())) {
            db.execute(tx -> tx.insert("Item", Map.of("n", 1L)));
            DatabaseStatistics before = db.statistics();
            io.stall();
            Thread committer = new Thread(() -> db.execute(tx -> tx.insert("Item", Map.of("n", 2L))));
            committer.start();
            assertTrue(io.stalled.await(10, TimeUnit.SECONDS));
            DatabaseStatistics stalled = db.statistics();
            assertEquals(1, stalled.commits(), "not durable yet, not counted");
            assertEquals(before.logBytesSynced(), stalled.logBytesSynced());
            assertEquals(before.groupCommitTransactions(), stalled.groupCommitTransactions());
            io.release();
            committer.join(10_000);
            DatabaseStatistics after = db.statistics();
            assertEquals(2, after.commits());
            assertTrue(after.logBytesSynced() > before.logBytesSynced(), after.toString());
            assertEquals(before.groupCommitTransactions() + 1, after.groupCommitTransactions());
        }
    }

    @Test
    void groupModeCountsTheCommitsEachSyncCovered() {
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), HealthTest.options().durability(Durability.ASYNC).build())) {
            long base = db.statistics().groupCommitTransactions();
            for (long i = 1; i <= 20; i++) {
                long n = i;
                db.execute(tx -> tx.insert("Item", Map.of("n", n)));
            }
            assertEquals(20, db.statistics().commits(), "ASYNC: counted once acknowledged (written)");
            db.checkpoint(); // syncs the log first
            DatabaseStatistics s = db.statistics();
            assertEquals(s.logBytesWritten(), s.logBytesSynced());
            assertEquals(base + 20, s.groupCommitTransactions(), s.toString());
        }
    }

    @Test
    void aReadOnlyDatabaseCountsNothing() {
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), HealthTest.options().build())) {
            db.execute(tx -> tx.insert("Item", Map.of("n", 1L)));
        }
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), HealthTest.options().recoveryMode(RecoveryMode.READ_ONLY)
                .build())) {
            DatabaseStatistics s = db.statistics();
            assertEquals(0, s.commits());
            assertEquals(0, s.logBytesWritten());
            assertEquals(0, s.checkpoints());
        }
    }
}
