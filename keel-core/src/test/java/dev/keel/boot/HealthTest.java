package dev.keel.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.BootBudgets;
import dev.keel.BootPhase;
import dev.keel.EntityType;
import dev.keel.FieldType;
import dev.keel.Health;
import dev.keel.Health.Status;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KeelDb#health()} per component on real databases, and the automatic recovery-time bound.
 * Faults (full disk, failed sync, corrupt segment) are in keel-testkit's HealthFaultTest and in
 * {@link BootTest}.
 */
class HealthTest {
    static final EntityType ITEM = EntityType.builder("Item").requiredField("n", FieldType.LONG).build();

    @TempDir
    Path tmp;

    static KeelOptions.Builder options() {
        return KeelOptions.builder().segmentSizeInBytes(1 << 20).checkpointLogSizeInBytes(1L << 30)
                .checkpointInterval(Duration.ofHours(1)).entityType(ITEM);
    }

    @Test
    void anOpenDatabaseIsHealthyLiveAndReadyWithEveryComponent() {
        FakeClock clock = new FakeClock();
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), options().clock(clock).build())) {
            db.execute(tx -> tx.insert("Item", Map.of("n", 1L)));
            clock.advance(Duration.ofSeconds(90));
            Health h = db.health();
            assertEquals(List.of("storage", "log", "checkpoint", "memory", "filesystem"),
                    h.components().stream().map(Health.Component::name).toList());
            assertTrue(h.live() && h.ready(), h.toString());
            assertEquals(BootPhase.READY, h.phase());
            assertEquals(Duration.ofSeconds(90), h.uptime());
            for (Health.Component c : h.components()) {
                assertEquals(Status.HEALTHY.equals(c.status()) || c.name().equals("filesystem"), true, c.toString());
            }
            Health.Component log = h.component("log").orElseThrow();
            assertEquals(true, log.values().get("writable"));
            assertTrue((Long) log.values().get("freeBytes") > 0);
            assertTrue((Long) log.values().get("syncs") >= 1, "the commit synced: " + log);
            Health.Component cp = h.component("checkpoint").orElseThrow();
            assertTrue((Long) cp.values().get("logBytesSinceCheckpoint") > 0, cp.toString());
            assertEquals(90.0, (Double) cp.values().get("ageSeconds"));
            Health.Component fs = h.component("filesystem").orElseThrow();
            assertEquals("works", fs.values().get("directorySync"));
            assertEquals("works", fs.values().get("fileLocking"));
            assertTrue(fs.values().containsKey("type"));

            db.checkpoint();
            Health after = db.health();
            Health.Component cp2 = after.component("checkpoint").orElseThrow();
            assertEquals(0L, cp2.values().get("logBytesSinceCheckpoint"));
            assertEquals(true, cp2.values().get("writtenSinceOpen"));
        }
    }

    @Test
    void heapOverTheMemoryBudgetIsDegradedButStillReady() {
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), options().memoryBudgetInBytes(1 << 20).build())) {
            Health h = db.health();
            Health.Component mem = h.component("memory").orElseThrow();
            assertEquals(Status.DEGRADED, mem.status(), mem.toString());
            assertTrue(mem.detail().contains("-Xmx"), mem.detail());
            assertEquals(Status.DEGRADED, h.status());
            assertTrue(h.ready() && h.live(), "degraded still serves");
        }
    }

    @Test
    void lowFreeDiskSpaceDegradesTheLog() {
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), options().lowDiskSpaceInBytes(Long.MAX_VALUE).build())) {
            Health.Component log = db.health().component("log").orElseThrow();
            assertEquals(Status.DEGRADED, log.status());
            assertTrue(log.detail().contains("bytes free"), log.detail());
        }
    }

    @Test
    void readOnlyIsHealthyAndClosedIsUnhealthyButNotDead() {
        Path dir = tmp.resolve("db");
        KeelDb.open(dir, options().build()).close();
        try (KeelDb db = KeelDb.open(dir, options().recoveryMode(RecoveryMode.READ_ONLY).build())) {
            Health h = db.health();
            assertTrue(h.ready(), h.toString());
            assertEquals(true, h.component("storage").orElseThrow().values().get("readOnly"));
            assertEquals(false, h.component("log").orElseThrow().values().get("writable"));
        }
        KeelDb db = KeelDb.open(dir, options().build());
        db.close();
        Health h = db.health();
        assertEquals(BootPhase.CLOSED, h.phase());
        assertEquals(Status.UNHEALTHY, h.status());
        assertFalse(h.ready());
        assertTrue(h.live(), "closed is not a failure");
    }

    @Test
    void projectedRecoveryOverHalfTheBudgetTriggersACheckpoint() throws Exception {
        // 1 ms of recovery budget: at the assumed 20 MiB/s, 10 KiB of log projects over half of it.
        KeelOptions bounded = options()
                .bootBudgets(BootBudgets.defaults().with(BootPhase.RECOVER, Duration.ofMillis(1)).onlyWarn()).build();
        Path dir = tmp.resolve("bounded");
        try (KeelDb db = KeelDb.open(dir, bounded)) {
            db.execute(tx -> {
                for (int i = 0; i < 1000; i++) {
                    tx.insert("Item", Map.of("n", (long) i));
                }
            });
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (checkpointLsn(db) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(checkpointLsn(db) > 0, "a checkpoint was triggered: " + db.health());
            assertTrue(checkpoints(dir) >= 1);
        }
        // The same work with the default budget (10 min) stays far below it: no checkpoint.
        Path control = tmp.resolve("control");
        try (KeelDb db = KeelDb.open(control, options().build())) {
            db.execute(tx -> {
                for (int i = 0; i < 1000; i++) {
                    tx.insert("Item", Map.of("n", (long) i));
                }
            });
            Thread.sleep(1500);
            assertEquals(0L, checkpointLsn(db));
            assertEquals(0, checkpoints(control));
            assertEquals(Status.HEALTHY, db.health().component("checkpoint").orElseThrow().status());
        }
    }

    private static long checkpointLsn(KeelDb db) {
        return (Long) db.health().component("checkpoint").orElseThrow().values().get("lastCheckpointLsn");
    }

    private static long checkpoints(Path dir) throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".kcp")).count();
        }
    }

    @Test
    void aLogSyncThatHangsDegradesTheLogWhileItHangs() throws Exception {
        StallingSyncFileIO io = new StallingSyncFileIO();
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), options().fileIO(io).build())) {
            db.execute(tx -> tx.insert("Item", Map.of("n", 1L)));
            io.stall();
            Thread committer = new Thread(() -> db.execute(tx -> tx.insert("Item", Map.of("n", 2L))));
            committer.start();
            assertTrue(io.stalled.await(10, java.util.concurrent.TimeUnit.SECONDS));
            Health.Component log = db.health().component("log").orElseThrow();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (log.status() == Status.HEALTHY && System.nanoTime() < deadline) {
                Thread.sleep(50); // the threshold is one second
                log = db.health().component("log").orElseThrow();
            }
            assertEquals(Status.DEGRADED, log.status(), log.toString());
            assertTrue(log.detail().contains("has been running for"), log.detail());
            io.release();
            committer.join(10_000);
            Health.Component after = db.health().component("log").orElseThrow();
            assertTrue(after.detail().contains("the last log sync took"), "finished, but it was slow: " + after);
            assertEquals(0.0, after.values().get("runningSyncMillis"));
        }
    }
}
