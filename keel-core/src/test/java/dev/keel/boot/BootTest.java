package dev.keel.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.BootBudgetExceededException;
import dev.keel.BootBudgets;
import dev.keel.BootMetrics;
import dev.keel.BootPhase;
import dev.keel.BootProgress;
import dev.keel.CorruptionException;
import dev.keel.EntityType;
import dev.keel.FieldType;
import dev.keel.Health;
import dev.keel.KeelBoot;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.testutil.DbFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boot state machine on real databases: the phases each recovery mode goes through, progress
 * observed from another thread during a long replay, budgets enforced with an injected clock,
 * metrics, and failed boots that keep their reason.
 */
class BootTest {
    static final EntityType ITEM = EntityType.builder("Item").requiredField("n", FieldType.LONG).build();
    static final int TRANSACTIONS = 500;
    static final int PER_TX = 100;

    @TempDir
    Path tmp;

    static KeelOptions.Builder options() {
        return KeelOptions.builder().segmentSizeInBytes(1 << 20).checkpointLogSizeInBytes(1L << 30)
                .checkpointInterval(Duration.ofHours(1)).entityType(ITEM);
    }

    /** A crash image with {@code TRANSACTIONS * PER_TX} entities in the log and no checkpoint. */
    Path logOnlyImage() {
        Path live = tmp.resolve("live");
        try (KeelDb db = KeelDb.open(live, options().build())) {
            for (int t = 0; t < TRANSACTIONS; t++) {
                db.execute(tx -> {
                    for (int i = 0; i < PER_TX; i++) {
                        tx.insert("Item", Map.of("n", (long) i));
                    }
                });
            }
            DbFiles.copy(live, tmp.resolve("image"));
            return tmp.resolve("image");
        }
    }

    /** Fingerprint of every file but the lock's holder text (not data). */
    static Map<String, String> dataFingerprint(Path dir) {
        Map<String, String> m = new java.util.TreeMap<>(DbFiles.fingerprint(dir));
        m.remove("keel.lock");
        return m;
    }

    static List<BootPhase> phasesSeen(List<BootProgress> seen) {
        List<BootPhase> phases = new ArrayList<>();
        for (BootProgress p : seen) {
            if (phases.isEmpty() || phases.get(phases.size() - 1) != p.phase()) {
                phases.add(p.phase());
            }
        }
        return phases;
    }

    @Test
    void eachRecoveryModeRunsItsPhasesAndCloseShutsDown() {
        Path dir = tmp.resolve("db");
        KeelDb.open(dir, options().build()).close();
        for (RecoveryMode mode : RecoveryMode.values()) {
            List<BootProgress> seen = new CopyOnWriteArrayList<>();
            KeelDb db = KeelDb.open(dir, options().recoveryMode(mode).bootListener(seen::add).build());
            assertEquals(List.of(BootPhase.INIT, BootPhase.MIGRATE, BootPhase.recoveryPhase(mode), BootPhase.WARMUP,
                    BootPhase.READY), phasesSeen(seen), mode.name());
            assertEquals(BootPhase.READY, db.phase());
            assertEquals(100.0, seen.get(seen.size() - 1).percent());
            db.close();
            assertEquals(BootPhase.CLOSED, db.phase());
        }
    }

    @Test
    void progressOfALongReplayIsVisibleFromAnotherThreadWhileItRuns() throws Exception {
        Path image = logOnlyImage();
        CountDownLatch midReplay = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        List<BootProgress> seen = new CopyOnWriteArrayList<>();
        KeelOptions opts = options().bootListener(p -> {
            seen.add(p);
            if (p.phase() == BootPhase.RECOVER && p.recordsDone() > 0 && p.recordsDone() < p.recordsTotal()
                    && midReplay.getCount() > 0) {
                midReplay.countDown();
                try {
                    goOn.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }).build();
        KeelBoot boot = KeelBoot.start(image, opts);
        assertTrue(midReplay.await(30, TimeUnit.SECONDS), "the replay reported progress");

        BootProgress mid = boot.progress();
        assertEquals(BootPhase.RECOVER, mid.phase());
        assertTrue(mid.recordsDone() > 0 && mid.recordsDone() < mid.recordsTotal(), mid.toString());
        assertTrue(mid.recordsTotal() >= (long) TRANSACTIONS * (PER_TX + 1), mid.toString());
        assertTrue(mid.bytesTotal() > 0 && mid.bytesDone() > 0 && mid.bytesDone() <= mid.bytesTotal(), mid.toString());
        assertTrue(mid.percent() > 0 && mid.percent() < 100, mid.toString());
        assertNotNull(mid.remainingBudget(), "the default budgets apply");
        assertNull(mid.failure());
        Health health = boot.health();
        assertTrue(health.live(), "a booting database is alive");
        assertFalse(health.ready(), "and not ready");
        assertEquals(Health.Status.UNHEALTHY, health.status());
        assertTrue(health.component("boot").orElseThrow().detail().contains("RECOVER"), health.toString());
        assertFalse(boot.isDone());

        goOn.countDown();
        try (KeelDb db = boot.await()) {
            assertEquals(BootPhase.READY, boot.phase());
            assertTrue(boot.health().ready());
            assertEquals((long) TRANSACTIONS * PER_TX, db.snapshot().count("Item"));
            double last = -1;
            for (BootProgress p : seen) {
                assertTrue(p.percent() >= last, "percent never goes back: " + seen);
                last = p.percent();
            }
            assertTrue(seen.stream().filter(p -> p.phase() == BootPhase.RECOVER).count() >= 5,
                    "several progress reports during the replay");
            assertTrue(seen.stream().anyMatch(p -> p.estimatedTimeToReady() != null));
            BootMetrics m = db.bootMetrics();
            assertEquals(db.recoveryReport().recordsReplayed(), m.recordsReplayed());
            assertTrue(m.recordsReplayed() >= (long) TRANSACTIONS * (PER_TX + 1), m.toString());
            assertTrue(m.bytesRead() > 0 && m.checkpointBytesLoaded() == 0, m.toString());
            assertEquals(List.of(BootPhase.INIT, BootPhase.MIGRATE, BootPhase.RECOVER, BootPhase.WARMUP),
                    List.copyOf(m.phaseDurations().keySet()));
            assertEquals(0, m.tailsRepaired());
        }
    }

    @Test
    void aPhaseOverItsBudgetFailsTheBootWithAReasonChangesNothingAndReleasesTheLock() {
        Path image = logOnlyImage();
        Map<String, String> before = dataFingerprint(image);
        FakeClock clock = new FakeClock();
        clock.stepOnEveryRead(Duration.ofSeconds(1));
        KeelOptions opts = options().clock(clock)
                .bootBudgets(BootBudgets.unlimited().with(BootPhase.RECOVER, Duration.ofSeconds(5))).build();
        BootBudgetExceededException e = assertThrows(BootBudgetExceededException.class, () -> KeelDb.open(image, opts));
        assertEquals(BootPhase.RECOVER, e.phase());
        assertEquals(Duration.ofSeconds(5), e.budget());
        assertTrue(e.spent().compareTo(Duration.ofSeconds(5)) > 0);
        assertTrue(e.getMessage().contains("phase RECOVER") && e.getMessage().contains("log records replayed")
                && e.getMessage().contains("bootBudgets"), e.getMessage());
        assertEquals(before, dataFingerprint(image), "an abandoned boot changed nothing");

        KeelBoot boot = KeelBoot.start(image, opts);
        assertThrows(BootBudgetExceededException.class, boot::await);
        assertEquals(BootPhase.FAILED, boot.phase());
        assertTrue(boot.failure().orElseThrow() instanceof BootBudgetExceededException);
        assertTrue(boot.progress().failure().contains("budget"), boot.progress().toString());

        try (KeelDb db = KeelDb.open(image, options().build())) {
            assertEquals((long) TRANSACTIONS * PER_TX, db.snapshot().count("Item"), "the lock was released");
        }
    }

    @Test
    void budgetsThatOnlyWarnLetTheBootFinish() {
        Path image = logOnlyImage();
        FakeClock clock = new FakeClock();
        clock.stepOnEveryRead(Duration.ofSeconds(1));
        KeelOptions opts = options().clock(clock)
                .bootBudgets(BootBudgets.unlimited().with(BootPhase.RECOVER, Duration.ofSeconds(5)).onlyWarn()).build();
        try (KeelDb db = KeelDb.open(image, opts)) {
            assertEquals(BootPhase.READY, db.phase());
            assertTrue(db.bootMetrics().phaseDurations().get(BootPhase.RECOVER).compareTo(Duration.ofSeconds(5)) > 0);
        }
    }

    @Test
    void migrateAndWarmupBudgetsAreEnforcedToo() {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options().build())) {
            db.execute(tx -> tx.insert("Item", Map.of("n", 1L)));
        }
        for (BootPhase phase : List.of(BootPhase.INIT, BootPhase.MIGRATE, BootPhase.WARMUP)) {
            FakeClock clock = new FakeClock();
            clock.stepOnEveryRead(Duration.ofSeconds(1));
            KeelOptions opts = options().clock(clock)
                    .bootBudgets(BootBudgets.unlimited().with(phase, Duration.ofMillis(500))).build();
            BootBudgetExceededException e = assertThrows(BootBudgetExceededException.class,
                    () -> KeelDb.open(dir, opts), phase.name());
            assertEquals(phase, e.phase());
        }
        try (KeelDb db = KeelDb.open(dir, options().build())) {
            assertEquals(1, db.snapshot().count("Item"), "abandoned boots (also one in WARMUP) lost nothing");
        }
    }

    @Test
    void startupProbePresetSplitsTheWindow() {
        BootBudgets b = BootBudgets.forStartupProbe(Duration.ofSeconds(100));
        assertEquals(Duration.ofSeconds(5), b.budget(BootPhase.INIT).orElseThrow());
        assertEquals(Duration.ofSeconds(25), b.budget(BootPhase.MIGRATE).orElseThrow());
        assertEquals(Duration.ofSeconds(50), b.budget(BootPhase.RECOVER).orElseThrow());
        assertEquals(Duration.ofSeconds(50), b.budget(BootPhase.FORCE_RECOVERY).orElseThrow());
        assertEquals(Duration.ofSeconds(10), b.budget(BootPhase.WARMUP).orElseThrow());
        assertFalse(b.warnOnly());
        assertThrows(IllegalArgumentException.class, () -> BootBudgets.forStartupProbe(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.with(BootPhase.READY, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> b.with(BootPhase.INIT, Duration.ofSeconds(-1)));
        assertTrue(b.with(BootPhase.RECOVER, null).budget(BootPhase.READ_ONLY_RECOVERY).isEmpty());
    }

    @Test
    void aBootRefusingCorruptionIsAliveNotReadyAndKeepsItsReason() throws IOException {
        Path image = logOnlyImage();
        Path segment;
        try (var files = Files.list(image)) {
            segment = files.filter(p -> p.getFileName().toString().startsWith("wal-")).sorted().findFirst().orElseThrow();
        }
        try (SeekableByteChannel ch = Files.newByteChannel(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.position(5000).read(b);
            b.flip().put(0, (byte) ~b.get(0));
            ch.position(5000).write(b);
        }
        KeelBoot boot = KeelBoot.start(image, options().build());
        CorruptionException e = assertThrows(CorruptionException.class, boot::await);
        assertEquals(BootPhase.FAILED, boot.phase());
        assertEquals(e, boot.failure().orElseThrow());
        Health h = boot.health();
        assertTrue(h.live(), "restarting would not help: alive");
        assertFalse(h.ready());
        assertEquals(Health.Status.UNHEALTHY, h.status());
        String detail = h.component("boot").orElseThrow().detail();
        assertTrue(detail.startsWith("opening failed") && detail.contains(segment.getFileName().toString()), detail);
    }

    @Test
    void repairsThatRunPastTheRecoveryBudgetFinishAndAreReportedInsteadOfAbandoned() throws IOException {
        Path live = tmp.resolve("live");
        Path image = tmp.resolve("torn");
        try (KeelDb db = KeelDb.open(live, options().build())) {
            for (int i = 0; i < 10; i++) {
                db.execute(tx -> tx.insert("Item", Map.of("n", 1L)));
            }
            DbFiles.copy(live, image);
        }
        Path segment;
        try (var files = Files.list(image)) {
            segment = files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted()
                    .reduce((a, b) -> b).orElseThrow();
        }
        byte[] data = Files.readAllBytes(segment);
        int end = data.length;
        while (end > 0 && data[end - 1] == 0) {
            end--;
        }
        try (SeekableByteChannel ch = Files.newByteChannel(segment, StandardOpenOption.WRITE)) {
            ch.position(end).write(ByteBuffer.wrap(new byte[] {0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47}));
        }
        FakeClock clock = new FakeClock();
        KeelOptions opts = options().clock(clock)
                .bootBudgets(BootBudgets.unlimited().with(BootPhase.RECOVER, Duration.ofMinutes(1)))
                .crashHook(p -> {
                    if (p == dev.keel.fault.CrashPoint.RECOVERY_MID_TAIL_CUT) {
                        clock.advance(Duration.ofMinutes(2)); // the repair itself is slow
                    }
                }).build();
        try (KeelDb db = KeelDb.open(image, opts)) {
            assertEquals(1, db.bootMetrics().tailsRepaired(), db.recoveryReport().toString());
            assertFalse(db.recoveryReport().clean());
            assertTrue(db.bootMetrics().phaseDurations().get(BootPhase.RECOVER).compareTo(Duration.ofMinutes(1)) > 0);
        }
    }
}
