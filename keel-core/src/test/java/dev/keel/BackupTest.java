package dev.keel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KeelDb#backup}: online, consistent, verified, and openable as a database. */
class BackupTest {
    static final EntityType ITEM = EntityType.builder("Item").requiredField("n", FieldType.LONG).build();

    @TempDir
    Path tmp;

    static KeelOptions options() {
        return KeelOptions.builder().segmentSizeInBytes(64 * 1024).entityType(ITEM).build();
    }

    @Test
    void backupTakenWhileWritesGoOnIsAConsistentCommitThatOpensAsADatabase() throws Exception {
        Path backup = tmp.resolve("backup");
        BackupResult result;
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), options())) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                // Every transaction inserts two entities, so a consistent state has an even count.
                while (!stop.get()) {
                    db.execute(tx -> {
                        tx.insert("Item", Map.of("n", 1L));
                        tx.insert("Item", Map.of("n", 2L));
                    });
                    written.addAndGet(2);
                }
            });
            writer.start();
            while (written.get() < 200) {
                Thread.onSpinWait();
            }
            result = db.backup(backup);
            stop.set(true);
            writer.join();
        }
        assertTrue(result.entities() > 0 && result.entities() % 2 == 0, "entities " + result.entities());
        assertTrue(result.sizeInBytes() > 0);
        try (KeelDb restored = KeelDb.open(backup, options())) {
            assertEquals(result.entities(), restored.snapshot().count("Item"));
            assertEquals(result.lsn(), restored.snapshot().lsn());
        }
    }

    @Test
    void refusesANonEmptyDestinationAndLeavesItUntouched() throws IOException {
        Path dest = Files.createDirectories(tmp.resolve("dest"));
        Files.writeString(dest.resolve("keep.txt"), "mine");
        try (KeelDb db = KeelDb.open(tmp.resolve("db"), options())) {
            db.execute(tx -> tx.insert("Item", Map.of("n", 1L)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> db.backup(dest));
            assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
        }
        assertEquals("mine", Files.readString(dest.resolve("keep.txt")));
        try (var files = Files.list(dest)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void aClosedDatabaseRefusesABackup() {
        KeelDb db = KeelDb.open(tmp.resolve("db"), options());
        db.close();
        assertThrows(DatabaseClosedException.class, () -> db.backup(tmp.resolve("b")));
        assertFalse(Files.exists(tmp.resolve("b")));
    }
}
