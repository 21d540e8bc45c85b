package dev.keel.tools;

import static dev.keel.tools.ToolsTestSupport.all;
import static dev.keel.tools.ToolsTestSupport.checkpoint;
import static dev.keel.tools.ToolsTestSupport.crashImage;
import static dev.keel.tools.ToolsTestSupport.fill;
import static dev.keel.tools.ToolsTestSupport.flipByte;
import static dev.keel.tools.ToolsTestSupport.frames;
import static dev.keel.tools.ToolsTestSupport.listing;
import static dev.keel.tools.ToolsTestSupport.options;
import static dev.keel.tools.ToolsTestSupport.segmentsWithFrames;
import static dev.keel.tools.ToolsTestSupport.tornCrashImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.BackupResult;
import dev.keel.CorruptionException;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.FieldType;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.internal.wal.SegmentScanner.Frame;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Backups}: online backups from outside the writer, refusal of damage, and verified restores. */
class BackupsTest {
    static final EntityType ITEM = EntityType.builder("Item").requiredField("n", FieldType.LONG).build();

    /** Backups taken during one run of the writer; each waits for 500 more transactions. */
    private static final int BACKUPS = 4;

    @TempDir
    Path tmp;

    /** Small segments and frequent checkpoints: a backup races rotations and segment retirement. */
    static KeelOptions busyOptions() {
        return KeelOptions.builder().entityType(ITEM).segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .checkpointLogSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE).build();
    }

    private static void assertSameEntities(KeelDb expected, KeelDb actual) {
        assertEquals(expected.snapshot().lsn(), actual.snapshot().lsn());
        List<Entity> want = all(expected);
        List<Entity> got = all(actual);
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i), got.get(i), "entity " + i);
            assertEquals(want.get(i).values().keySet(), got.get(i).values().keySet());
        }
    }

    @Test
    void backupTakenFromOutsideWhileAWriterCommitsIsAConsistentState() throws Exception {
        Path dir = tmp.resolve("db");
        List<BackupResult> results = new ArrayList<>();
        Map<Long, Long> written = new HashMap<>();
        try (KeelDb db = KeelDb.open(dir, busyOptions())) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong count = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    // Every transaction inserts two entities, so a consistent state has an even count.
                    for (long k = 0; !stop.get(); k++) {
                        long n = k;
                        db.execute(tx -> {
                            tx.insert("Item", Map.of("n", n));
                            tx.insert("Item", Map.of("n", n));
                        });
                        count.addAndGet(2);
                    }
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            writer.start();
            try {
                for (int b = 0; b < BACKUPS; b++) {
                    long target = 1000L * (b + 1);
                    while (count.get() < target && writer.isAlive()) {
                        Thread.sleep(1);
                    }
                    results.add(Backups.backup(dir, tmp.resolve("backup-" + b)));
                }
            } finally {
                stop.set(true);
                writer.join();
            }
            assertEquals(null, failed.get());
            db.snapshot().scan("Item").forEach(e -> written.put(e.id(), e.getLong("n")));
        }
        long previousLsn = 0;
        for (BackupResult r : results) {
            assertTrue(r.entities() > 0 && r.entities() % 2 == 0, "consistent state: " + r);
            assertTrue(r.lsn() >= previousLsn, "backups in order: " + results);
            previousLsn = r.lsn();
            try (KeelDb backup = KeelDb.open(r.directory(), busyOptions())) {
                assertTrue(backup.recoveryReport().clean(), backup.recoveryReport().events().toString());
                assertEquals(r.lsn(), backup.snapshot().lsn());
                assertEquals(r.entities(), backup.snapshot().count("Item"));
                backup.snapshot().scan("Item").forEach(e -> assertEquals(written.get(e.id()), e.getLong("n"),
                        "entity " + e.id() + " as committed"));
            }
            try (Stream<Path> staging = Files.list(tmp)) {
                assertTrue(staging.noneMatch(p -> p.getFileName().toString().contains("staging")), "staging removed");
            }
        }
    }

    @Test
    void backupOfAClosedDatabaseHoldsExactlyItsContent() throws IOException {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 50);
            db.execute(tx -> tx.update("Customer", 3, Map.of("tier", 9L)));
            db.execute(tx -> tx.delete("Order", 7));
        }
        Map<String, String> source = listing(dir);
        BackupResult r = Backups.backup(dir, tmp.resolve("backup"));
        assertEquals(source, listing(dir), "the source is not written to");
        assertEquals(99, r.entities());
        try (KeelDb original = KeelDb.open(dir, options()); KeelDb backup = KeelDb.open(r.directory(), options())) {
            assertSameEntities(original, backup);
            assertEquals(r.lsn(), backup.snapshot().lsn());
        }
    }

    @Test
    void backupOfACrashedDatabaseHoldsItsCommittedPrefix() throws IOException {
        Path dir = tornCrashImage(tmp, "db", 10);
        BackupResult r = Backups.backup(dir, tmp.resolve("backup"));
        assertEquals(18, r.entities(), "the torn last transaction is not in it");
        try (KeelDb crashed = KeelDb.open(dir, options()); KeelDb backup = KeelDb.open(r.directory(), options())) {
            assertSameEntities(crashed, backup);
        }
    }

    @Test
    void damageInASealedSegmentFailsTheBackup() throws IOException {
        Path live = tmp.resolve("live");
        Path dir;
        try (KeelDb db = KeelDb.open(live, options())) {
            fill(db, 100, 1000);
            dir = crashImage(live, tmp.resolve("db"), false);
        }
        List<Path> segments = segmentsWithFrames(dir);
        assertTrue(segments.size() >= 2, "the workload spans segments: " + segments);
        Path sealed = segments.get(0);
        Frame f = frames(sealed).get(frames(sealed).size() / 2);
        flipByte(sealed, f.offset() + f.size() - 2);
        Map<String, String> before = listing(dir);
        Path dest = tmp.resolve("backup");
        CorruptionException e = assertThrows(CorruptionException.class, () -> Backups.backup(dir, dest));
        assertEquals(sealed.getFileName(), e.file().getFileName());
        assertTrue(e.offset() >= f.offset() && e.offset() < f.offset() + f.size(), "offset " + e.offset());
        assertTrue(e.getMessage().contains("keel verify " + dir), e.getMessage());
        assertFalse(Files.exists(dest), "no backup left behind");
        assertEquals(before, listing(dir), "the source is not written to");
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("staging")), "staging removed");
        }
    }

    @Test
    void nonEmptyDestinationIsRefusedUntouched() throws IOException {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 2);
        }
        Path dest = Files.createDirectories(tmp.resolve("dest"));
        Files.writeString(dest.resolve("keep.txt"), "mine");
        Map<String, String> before = listing(dest);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backups.backup(dir, dest));
        assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
        assertEquals(before, listing(dest));
        IllegalArgumentException inside = assertThrows(IllegalArgumentException.class,
                () -> Backups.backup(dir, dir.resolve("b")));
        assertTrue(inside.getMessage().contains("is inside"), inside.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Backups.backup(tmp.resolve("missing"), tmp.resolve("b")));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        assertFalse(Files.exists(tmp.resolve("b")));
    }

    @Test
    void restoreRoundTripGivesIdenticalEntities() throws IOException {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 40);
            db.execute(tx -> tx.update("Order", 5, Map.of("note", "changed")));
        }
        BackupResult b = Backups.backup(dir, tmp.resolve("backup"));
        Path target = tmp.resolve("restored");
        RestoreResult r = Backups.restore(b.directory(), target);
        assertEquals(target, r.directory());
        assertEquals(b.lsn(), r.lsn());
        assertEquals(b.entities(), r.entities());
        assertEquals(VerifyReport.Outcome.CLEAN, Verifier.verify(target).outcome());
        try (KeelDb original = KeelDb.open(dir, options()); KeelDb restored = KeelDb.open(target, options())) {
            assertTrue(restored.recoveryReport().clean(), restored.recoveryReport().events().toString());
            assertSameEntities(original, restored);
            restored.execute(tx -> tx.insert("Customer", Map.of("name", "after restore")));
        }
        try (Stream<Path> files = Files.list(target)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void aDatabaseDirectoryWithALogRestoresAsABackup() throws IOException {
        Path live = tmp.resolve("live");
        Path image;
        try (KeelDb db = KeelDb.open(live, options())) {
            fill(db, 25);
            image = crashImage(live, tmp.resolve("image"), false);
        }
        Files.writeString(image.resolve("wal-00000000000000ff.log.tmp"), "a segment being prepared");
        RestoreResult r = Backups.restore(image, tmp.resolve("restored"));
        assertEquals(50, r.entities());
        assertFalse(Files.exists(r.directory().resolve("wal-00000000000000ff.log.tmp")), "temporary files stay behind");
        assertFalse(Files.exists(r.directory().resolve("keel.lock")));
        try (KeelDb source = KeelDb.open(image, KeelOptions.builder().recoveryMode(RecoveryMode.READ_ONLY).build());
                KeelDb restored = KeelDb.open(r.directory(), options())) {
            assertSameEntities(source, restored);
        }
    }

    @Test
    void aCrashedDatabaseDirectoryRestoresAsItWillOpen() throws IOException {
        Path image = tornCrashImage(tmp, "image", 12);
        RestoreResult r = Backups.restore(image, tmp.resolve("restored"));
        try (KeelDb restored = KeelDb.open(r.directory(), options())) {
            assertEquals(restored.snapshot().lsn(), r.lsn(), "the last commit, not the torn records after it");
            assertEquals(22, r.entities());
            assertEquals(22, restored.snapshot().count("Customer") + restored.snapshot().count("Order"));
        }
    }

    @Test
    void restoreIntoANonEmptyTargetIsRefusedUntouched() throws IOException {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 2);
        }
        BackupResult b = Backups.backup(dir, tmp.resolve("backup"));
        Path target = Files.createDirectories(tmp.resolve("target"));
        Files.writeString(target.resolve("keep.txt"), "mine");
        Map<String, String> before = listing(target);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backups.restore(b.directory(), target));
        assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
        assertEquals(before, listing(target));
    }

    @Test
    void restoreOfACorruptedBackupIsRefusedAndWritesNothing() throws IOException {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 20);
        }
        BackupResult b = Backups.backup(dir, tmp.resolve("backup"));
        Path checkpoint = checkpoint(b.directory());
        flipByte(checkpoint, Files.size(checkpoint) / 2);
        Path target = tmp.resolve("target");
        CorruptionException e = assertThrows(CorruptionException.class, () -> Backups.restore(b.directory(), target));
        assertEquals(checkpoint.getFileName(), e.file().getFileName());
        assertTrue(e.getMessage().contains("does not verify clean") && e.getMessage().contains("keel verify"),
                e.getMessage());
        assertFalse(Files.exists(target), "target left absent");
    }
}
