package dev.keel.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.Index;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.Query;
import dev.keel.RecoveryReport;
import dev.keel.internal.wal.SegmentScanner;
import dev.keel.internal.wal.WalFormat;
import dev.keel.internal.wal.WalRecord;
import dev.keel.testutil.DbFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SCHEMA record after torn bytes is cut with the torn tail: it must not become the stored schema
 * (found in review: the engine then stamped puts with a version no file held, and the next open
 * skipped those acknowledged commits). Replay and the schema the open runs under agree, and a
 * version missing from the files is written again before use.
 */
class TornSchemaRecordTest {
    static final EntityType ITEM = EntityType.builder("Item").field(Field.longField("k").required()).build();
    static final EntityType ITEM_IX = EntityType.builder("Item").field(Field.longField("k").required())
            .index(Index.on("k")).build();
    @TempDir Path tmp;

    static Path newestSegment(Path dir) {
        return DbFiles.list(dir).stream().filter(p -> WalFormat.parseId(p.getFileName().toString()) >= 0)
                .max(Comparator.comparingLong(p -> WalFormat.parseId(p.getFileName().toString()))).orElseThrow();
    }

    @Test
    void aSchemaRecordCutWithATornTailIsNotUsedAndNoAcknowledgedCommitIsLost() throws Exception {
        Path dir = tmp.resolve("db");
        Path torn = tmp.resolve("torn");
        try (KeelDb db = KeelDb.open(dir, KeelOptions.builder().entityType(ITEM).build())) {
            db.execute(tx -> tx.insert("Item", Map.of("k", 1L)));
            db.createIndex("Item", Index.on("k"));
            DbFiles.copy(dir, torn); // crash image
        }
        // Simulate power loss tearing the last (group) write: a damaged frame in front of the SCHEMA transaction.
        Path seg = newestSegment(torn);
        byte[] data = Files.readAllBytes(seg);
        WalFormat.Header h = WalFormat.readHeader(data, data.length, seg, WalFormat.parseId(seg.getFileName().toString()));
        SegmentScanner.Result scan = SegmentScanner.scan(data, data.length, h.salt());
        SegmentScanner.Frame schemaFrame = scan.frames().stream()
                .filter(f -> f.record() instanceof WalRecord.SchemaChange).reduce((a, b) -> b).orElseThrow();
        int at = schemaFrame.offset();
        int end = scan.dataEnd();
        byte[] bad = java.util.Arrays.copyOfRange(data, at, at + schemaFrame.size());
        bad[bad.length - 1] ^= 0x55; // a well-formed frame whose checksum fails (the torn record)
        byte[] out = new byte[data.length];
        System.arraycopy(data, 0, out, 0, at);
        System.arraycopy(bad, 0, out, at, bad.length);
        System.arraycopy(data, at, out, at + bad.length, end - at);
        Files.write(seg, out);

        Path image2 = tmp.resolve("image2");
        try (KeelDb db = KeelDb.open(torn, KeelOptions.builder().entityType(ITEM_IX).build())) {
            assertEquals(1, db.recoveryReport().count(RecoveryReport.EventKind.TORN_TAIL_CUT), db.recoveryReport().toString());
            assertEquals("by_k", db.snapshot().explain(Query.on("Item").eq("k", 1L)).index(),
                    "the declared index, migrated again at this open");
            db.execute(tx -> tx.insert("Item", Map.of("k", 2L))); // SYNC: acknowledged = durable
            assertEquals(2, db.snapshot().count("Item"));
            DbFiles.copy(torn, image2); // crash image after an acknowledged commit
        }
        try (KeelDb db = KeelDb.open(image2, KeelOptions.builder().entityType(ITEM_IX).build())) {
            assertTrue(db.recoveryReport().clean(), db.recoveryReport().toString());
            assertEquals(2, db.snapshot().count("Item"), "acknowledged insert of k=2 lost");
            assertEquals(1, db.snapshot().query(Query.on("Item").eq("k", 2L)).count());
        }
    }
}
