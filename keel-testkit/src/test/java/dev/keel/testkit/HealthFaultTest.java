package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.BootPhase;
import dev.keel.Health;
import dev.keel.Health.Status;
import dev.keel.KeelBoot;
import dev.keel.KeelDb;
import dev.keel.StorageException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KeelDb#health()} under injected faults: a full disk and a failed sync make the database
 * unhealthy and not live (a restart, which reopens and recovers, is the cure), a disk about to fill
 * degrades the log, and a corrupt segment leaves a boot that is alive but never ready.
 */
class HealthFaultTest {
    @TempDir
    Path tmp;

    private static void insert(KeelDb db, long owner) {
        db.execute(tx -> tx.insert("Item", Map.of("owner", owner, "tx", 1L, "slot", 0L)));
    }

    private static void assertFailedAfterReady(Health h, String cause) {
        assertEquals(Status.UNHEALTHY, h.status(), h.toString());
        assertFalse(h.live(), "a database whose storage failed should be restarted: " + h);
        assertFalse(h.ready());
        assertEquals(BootPhase.FAILED, h.phase());
        Health.Component storage = h.component("storage").orElseThrow();
        assertEquals(Status.UNHEALTHY, storage.status());
        assertTrue(storage.detail().startsWith("FAILED") && storage.detail().contains(cause), storage.detail());
        Health.Component log = h.component("log").orElseThrow();
        assertEquals(Status.UNHEALTHY, log.status());
        assertEquals(false, log.values().get("writable"));
    }

    @Test
    void aFullDiskMakesTheDatabaseUnhealthyAndNotLive() {
        FaultyFileIO io = new FaultyFileIO();
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), options(io).build())) {
            insert(db, 1);
            assertTrue(db.health().ready());
            io.diskFullAfterBytes(0);
            assertThrows(StorageException.class, () -> insert(db, 2));
            assertFailedAfterReady(db.health(), "No space left on device");
            io.freeSpace();
        } catch (StorageException closeReportsIt) {
            // close may report the failure again; the health assertions above are what this test is about
        }
    }

    @Test
    void aFailedSyncMakesTheDatabaseUnhealthyAndNotLive() {
        FaultyFileIO io = new FaultyFileIO();
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), options(io).build())) {
            insert(db, 1);
            io.arm(FaultPlan.failNth(IoOp.SYNC, 1));
            assertThrows(StorageException.class, () -> insert(db, 2));
            assertFailedAfterReady(db.health(), "injected");
            io.disarm();
        } catch (StorageException closeReportsIt) {
            // as above
        }
    }

    @Test
    void aDiskAboutToFillDegradesTheLogButKeepsItReady() {
        FaultyFileIO io = new FaultyFileIO();
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), options(io).build())) {
            io.diskFullAfterBytes(100_000); // below the default warning level of four 64 KiB segments
            Health h = db.health();
            Health.Component log = h.component("log").orElseThrow();
            assertEquals(Status.DEGRADED, log.status(), log.toString());
            assertTrue(log.detail().contains("bytes free"), log.detail());
            assertEquals(Status.DEGRADED, h.status());
            assertTrue(h.live() && h.ready());
            io.freeSpace();
            assertEquals(Status.HEALTHY, db.health().component("log").orElseThrow().status());
        }
    }

    @Test
    void aCorruptSegmentLeavesABootAliveButNotReady() throws Exception {
        Path dir = tmp.resolve("db");
        Path image = tmp.resolve("image");
        try (KeelDb db = KeelDb.open(dir, options(new FaultyFileIO()).build())) {
            for (int i = 1; i <= 30; i++) {
                insert(db, i);
            }
            FaultTestSupport.copyTree(dir, image);
        }
        Path segment;
        try (var files = java.nio.file.Files.list(image)) {
            segment = files.filter(FaultTestSupport::isWal).sorted().findFirst().orElseThrow();
        }
        byte[] data = java.nio.file.Files.readAllBytes(segment);
        data[600] ^= 0x5A; // inside the first transactions; valid ones follow
        java.nio.file.Files.write(segment, data);
        KeelBoot boot = KeelBoot.start(image, options(new FaultyFileIO()).build());
        assertThrows(dev.keel.CorruptionException.class, boot::await);
        Health h = boot.health();
        assertTrue(h.live(), h.toString());
        assertFalse(h.ready());
        assertEquals(Status.UNHEALTHY, h.status());
        assertTrue(h.component("boot").orElseThrow().detail().contains("CORRUPTION"), h.toString());
    }
}
