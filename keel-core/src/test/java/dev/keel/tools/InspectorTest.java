package dev.keel.tools;

import static dev.keel.tools.ToolsTestSupport.crashImage;
import static dev.keel.tools.ToolsTestSupport.fill;
import static dev.keel.tools.ToolsTestSupport.flipByte;
import static dev.keel.tools.ToolsTestSupport.lastTransaction;
import static dev.keel.tools.ToolsTestSupport.listing;
import static dev.keel.tools.ToolsTestSupport.options;
import static dev.keel.tools.ToolsTestSupport.segmentsWithFrames;
import static dev.keel.tools.ToolsTestSupport.tornCrashImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.KeelDb;
import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.tools.DatabaseInfo.SegmentInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Inspector}: what a directory holds, on a live or crashed database, without writing. */
class InspectorTest {
    @TempDir
    Path tmp;

    @Test
    void describesALiveDatabaseAndItsLockHolder() {
        Path dir = tmp.resolve("db");
        DatabaseInfo info;
        long checkpointLsn;
        long lsn;
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 30);
            checkpointLsn = db.checkpoint();
            fill(db, 7);
            db.execute(tx -> tx.delete("Order", 1));
            lsn = db.snapshot().lsn();
            info = Inspector.inspect(dir);
            assertNotNull(info.lockHolder(), "the open database is named as holder");
            assertTrue(info.lockHolder().contains("pid=" + ProcessHandle.current().pid()), info.lockHolder());
        }
        assertEquals(dir.toString(), info.directory());
        assertEquals(CheckpointFormat.FORMAT_VERSION, info.formatVersion());
        assertEquals(Map.of("Customer", 37L, "Order", 36L), info.entitiesPerType());
        assertEquals(List.of("Customer", "Order"), List.copyOf(info.entitiesPerType().keySet()), "schema order");
        assertEquals(checkpointLsn, info.checkpoint().lsn());
        assertEquals(CheckpointFormat.fileName(checkpointLsn), info.checkpoint().file());
        assertTrue(info.checkpoint().sizeInBytes() > 0 && !info.checkpoint().age().isNegative());
        assertEquals(lsn, info.lastLsn());
        assertEquals(Map.of("PUT", 14L, "DELETE", 1L, "COMMIT", 8L, "SCHEMA", 0L), info.logRecordsPerKind(),
                "records after the checkpoint");
        assertFalse(info.segments().isEmpty());
        SegmentInfo last = info.segments().stream().filter(s -> s.records() > 0).reduce((a, b) -> b).orElseThrow();
        assertEquals(lsn, last.lastLsn());
        assertTrue(last.firstLsn() <= checkpointLsn + 1 && last.sizeInBytes() > 0, last.toString());
        assertNull(info.lastRecoveryReport());
        assertEquals(List.of(), info.quarantineFiles());

        DatabaseInfo closed = Inspector.inspect(dir);
        assertNull(closed.lockHolder(), "nobody holds it after close");
        assertEquals(lsn, closed.lastLsn());
        assertEquals(Map.of("Customer", 37L, "Order", 36L), closed.entitiesPerType());
    }

    @Test
    void showsTheRecoveryReportAndQuarantineAfterATornTailWasRepaired() throws IOException {
        Path dir = tornCrashImage(tmp, "db", 10);
        String segment = segmentsWithFrames(dir).get(segmentsWithFrames(dir).size() - 1).getFileName().toString();
        DatabaseInfo before = Inspector.inspect(dir);
        assertEquals(Map.of("Customer", 9L, "Order", 9L), before.entitiesPerType(), "the torn transaction is not counted");
        assertTrue(before.notes().stream().anyMatch(n -> n.contains("TORN_TAIL_CUT")), before.notes().toString());

        try (KeelDb db = KeelDb.open(dir, options())) {
            assertEquals(1, db.recoveryReport().events().size());
        }
        DatabaseInfo after = Inspector.inspect(dir);
        assertNotNull(after.lastRecoveryReport());
        assertTrue(after.lastRecoveryReport().contains("\"kind\": \"TORN_TAIL_CUT\""), after.lastRecoveryReport());
        assertEquals(1, after.quarantineFiles().size(), after.quarantineFiles().toString());
        assertTrue(after.quarantineFiles().get(0).startsWith(segment + "@"), after.quarantineFiles().toString());
        assertEquals(Map.of("Customer", 9L, "Order", 9L), after.entitiesPerType());
    }

    @Test
    void inspectWritesNothing() throws IOException {
        Path live = tmp.resolve("live");
        Path dir;
        try (KeelDb db = KeelDb.open(live, options())) {
            fill(db, 10);
            dir = crashImage(live, tmp.resolve("db"), false);
        }
        Path segment = segmentsWithFrames(dir).get(0);
        flipByte(segment, lastTransaction(segment)[1] - 3);
        Map<String, String> before = listing(dir);
        Inspector.inspect(dir);
        assertEquals(before, listing(dir));
        assertFalse(Files.exists(dir.resolve("keel.lock")));
    }

    @Test
    void missingOrNonDatabaseDirectoryIsRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Inspector.inspect(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.writeString(other.resolve("notes.txt"), "not a database");
        e = assertThrows(IllegalArgumentException.class, () -> Inspector.inspect(other));
        assertTrue(e.getMessage().contains("is not a KeelDB database directory"), e.getMessage());
    }
}
