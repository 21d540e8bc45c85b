package dev.keel.internal.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.CorruptionException;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.ReadOnlyException;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.RecoveryReport.EventKind;
import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.internal.codec.Checksums;
import dev.keel.internal.wal.SegmentScanner.Frame;
import dev.keel.internal.wal.WalFormat;
import dev.keel.internal.wal.WalRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G4: real corruption (a damaged record followed by good ones, a damaged checkpoint or segment
 * header) is never silently dropped: NORMAL refuses to open naming file and offset and changes
 * nothing; READ_ONLY opens what is readable without writing a byte; FORCE recovers every complete
 * transaction, quarantines the damage, and leaves a database that opens cleanly in NORMAL mode.
 */
class CorruptionTest {
    private static final EntityType ITEM = EntityType.builder("Item").field(Field.longField("tx").required()).build();
    private static final int TRANSACTIONS = 20;
    private static final int DAMAGED_TX = 7;

    @TempDir
    Path tmp;

    private static KeelOptions options(RecoveryMode mode) {
        return KeelOptions.builder().entityType(ITEM).segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .recoveryMode(mode).build();
    }

    /** A crash image holding TRANSACTIONS single-entity transactions, all in the log. */
    private Path image(String name, int perTx) throws IOException {
        Path live = tmp.resolve(name + "-live");
        try (KeelDb db = KeelDb.open(live, options(RecoveryMode.NORMAL))) {
            for (int tx = 1; tx <= TRANSACTIONS; tx++) {
                long n = tx;
                db.execute(t -> {
                    for (int i = 0; i < perTx; i++) {
                        t.insert("Item", Map.of("tx", n));
                    }
                });
            }
            return DbFiles.copy(live, tmp.resolve(name));
        }
    }

    /** Offset of a byte inside the first PUT record of transaction {@code tx} (1-based). */
    private static long insidePutOf(Path segment, int tx) {
        List<Frame> frames = DbFiles.frames(segment);
        int commits = 0;
        int schemaTx = 1;
        for (Frame f : frames) {
            if (f.record() instanceof WalRecord.Commit) {
                commits++;
            } else if (f.record() instanceof WalRecord.Put && commits == tx - 1 + schemaTx) {
                return f.offset() + f.size() - 2;
            }
        }
        throw new AssertionError("transaction " + tx + " not found in " + segment);
    }

    private static Set<Long> txs(KeelDb db) {
        return db.snapshot().scan("Item").map(e -> e.getLong("tx")).collect(Collectors.toSet());
    }

    @Test
    void damagedRecordFollowedByGoodOnesIsCorruptionInEveryMode() throws IOException {
        Path dir = image("mid", 1);
        Path segment = DbFiles.segmentsWithFrames(dir).get(0);
        long at = insidePutOf(segment, DAMAGED_TX);
        DbFiles.flipByte(segment, at);
        Map<String, String> before = DbFiles.fingerprint(dir);

        CorruptionException e = assertThrows(CorruptionException.class, () -> KeelDb.open(dir,
                options(RecoveryMode.NORMAL)));
        assertEquals(segment.getFileName(), e.file().getFileName());
        assertTrue(e.offset() <= at && e.offset() > at - 64, "offset " + e.offset() + " names the damaged record at " + at);
        assertTrue(e.getMessage().contains("READ_ONLY") && e.getMessage().contains("FORCE"), e.getMessage());
        assertEquals(before, DbFiles.fingerprint(dir), "NORMAL changed nothing");

        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.READ_ONLY))) {
            Set<Long> seen = txs(db);
            assertFalse(seen.contains((long) DAMAGED_TX));
            assertEquals(TRANSACTIONS - 1, seen.size(), "every other transaction is readable: " + seen);
            // A flipped bit inside a well-formed record: reported in the checksum-mismatch category.
            assertTrue(db.recoveryReport().events().stream().anyMatch(ev -> ev.kind() == EventKind.CHECKSUM_MISMATCH),
                    db.recoveryReport().events().toString());
            assertThrows(ReadOnlyException.class, () -> db.execute(t -> t.insert("Item", Map.of("tx", 0L))));
        }
        assertEquals(before, DbFiles.fingerprint(dir), "READ_ONLY wrote not a byte");

        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.FORCE))) {
            RecoveryReport report = db.recoveryReport();
            assertEquals(TRANSACTIONS - 1, txs(db).size());
            RecoveryReport.Event skipped = report.events().stream()
                    .filter(ev -> ev.kind() == EventKind.CHECKSUM_MISMATCH).findFirst().orElseThrow();
            assertNotNull(skipped.quarantineFile());
            assertTrue(Files.size(skipped.quarantineFile()) > 0);
            db.execute(t -> t.insert("Item", Map.of("tx", 100L)));
        }
        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.NORMAL))) {
            assertTrue(db.recoveryReport().clean(), "after FORCE the database opens cleanly: "
                    + db.recoveryReport().events());
            assertEquals(TRANSACTIONS, txs(db).size());
        }
    }

    @Test
    void damageInAnEarlierSegmentIsProvenByLaterSegments() throws IOException {
        Path dir = image("segments", 200);
        List<Path> segments = DbFiles.segmentsWithFrames(dir);
        assertTrue(segments.size() >= 2, "the workload spans segments: " + segments);
        Path first = segments.get(0);
        List<Frame> frames = DbFiles.frames(first);
        Frame last = frames.get(frames.size() - 1);
        DbFiles.flipByte(first, last.offset() + 5);
        CorruptionException e = assertThrows(CorruptionException.class, () -> KeelDb.open(dir,
                options(RecoveryMode.NORMAL)));
        assertEquals(first.getFileName(), e.file().getFileName());
        assertTrue(e.getMessage().contains("later segment"), e.getMessage());
    }

    @Test
    void damagedSegmentHeaderRefusesNormalAndIsSkippedByForce() throws IOException {
        Path dir = image("header", 1);
        Path segment = DbFiles.segmentsWithFrames(dir).get(0);
        DbFiles.flipByte(segment, 13);
        CorruptionException e = assertThrows(CorruptionException.class, () -> KeelDb.open(dir,
                options(RecoveryMode.NORMAL)));
        assertEquals(segment.getFileName(), e.file().getFileName());
        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.FORCE))) {
            assertTrue(db.recoveryReport().events().stream().anyMatch(ev -> ev.kind() == EventKind.CORRUPT_RECORD_SKIPPED
                    && ev.quarantineFile() != null));
        }
        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.NORMAL))) {
            assertTrue(db.recoveryReport().clean(), db.recoveryReport().events().toString());
        }
    }

    @Test
    void damagedCheckpointRefusesNormalAndForceFallsBackAndReports() throws IOException {
        Path dir = tmp.resolve("ckpt");
        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.NORMAL))) {
            for (int tx = 1; tx <= TRANSACTIONS; tx++) {
                long n = tx;
                db.execute(t -> t.insert("Item", Map.of("tx", n)));
            }
        }
        Path checkpoint;
        try (Stream<Path> files = Files.list(dir)) {
            checkpoint = files.filter(f -> CheckpointFormat.parseLsn(f.getFileName().toString()) >= 0).findFirst()
                    .orElseThrow();
        }
        // A byte inside the payload of the first block (the schema): its checksum no longer matches.
        // (Near the end of the file a flip may hit the length of a small block instead, which is
        // refused as a block running past the end.)
        DbFiles.flipByte(checkpoint, CheckpointFormat.HEADER_SIZE + CheckpointFormat.BLOCK_HEADER_SIZE + 3);
        Map<String, String> before = DbFiles.fingerprint(dir);
        CorruptionException e = assertThrows(CorruptionException.class, () -> KeelDb.open(dir,
                options(RecoveryMode.NORMAL)));
        assertEquals(checkpoint.getFileName(), e.file().getFileName());
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        assertEquals(before, DbFiles.fingerprint(dir), "NORMAL changed nothing");
        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.READ_ONLY))) {
            assertTrue(db.recoveryReport().events().stream().anyMatch(ev -> ev.kind() == EventKind.CHECKPOINT_SKIPPED));
        }
        assertEquals(before, DbFiles.fingerprint(dir), "READ_ONLY wrote not a byte");
        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.FORCE))) {
            RecoveryReport report = db.recoveryReport();
            assertTrue(report.events().stream().anyMatch(ev -> ev.kind() == EventKind.CHECKPOINT_SKIPPED
                    && ev.quarantineFile() != null), report.events().toString());
            assertTrue(DbFiles.quarantineFiles(dir) >= 1);
        }
        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.NORMAL))) {
            assertTrue(db.recoveryReport().clean(), db.recoveryReport().events().toString());
        }
    }

    @Test
    void logGapBelowTheCheckpointIsHarmlessAndAboveItIsCorruption() throws IOException {
        Path live = tmp.resolve("gap-live");
        Path covered = tmp.resolve("gap-covered");
        Path uncovered = tmp.resolve("gap-uncovered");
        try (KeelDb db = KeelDb.open(live, options(RecoveryMode.NORMAL))) {
            for (int tx = 1; tx <= 60; tx++) {
                long n = tx;
                db.execute(t -> {
                    for (int i = 0; i < 100; i++) {
                        t.insert("Item", Map.of("tx", n));
                    }
                });
            }
            List<Path> segments = DbFiles.segmentsWithFrames(live);
            assertTrue(segments.size() >= 3, "the workload spans three segments: " + segments);
            DbFiles.copy(live, covered);
            DbFiles.copy(live, uncovered);
            db.checkpoint();
            try (Stream<Path> files = Files.list(live)) {
                for (Path ckpt : files.filter(f -> CheckpointFormat.parseLsn(f.getFileName().toString()) >= 0).toList()) {
                    Files.copy(ckpt, covered.resolve(ckpt.getFileName()));
                }
            }
            Path middle = segments.get(1).getFileName();
            Files.delete(covered.resolve(middle));
            Files.delete(uncovered.resolve(middle));
        }
        try (KeelDb db = KeelDb.open(covered, options(RecoveryMode.NORMAL))) {
            assertEquals(6000, db.snapshot().count("Item"), "a retired segment whose deletion survived alone");
        }
        CorruptionException e = assertThrows(CorruptionException.class, () -> KeelDb.open(uncovered,
                options(RecoveryMode.NORMAL)));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    /**
     * Found in review: a committed transaction whose COMMIT record count does not match its
     * records (checksums intact) is discarded by FORCE in the middle of the log. FORCE took that
     * for a tail and truncated the segment there, dropping the valid transactions after it from
     * disk while serving them from memory; a crash before the next checkpoint lost them.
     */
    @Test
    void forceDoesNotTruncateTheLogAtATransactionDiscardedInTheMiddle() throws IOException {
        Path dir = image("mismatch", 1);
        Path segment = DbFiles.segmentsWithFrames(dir).get(0);
        byte[] data = Files.readAllBytes(segment);
        long salt = WalFormat.readHeader(data, data.length, segment,
                WalFormat.parseId(segment.getFileName().toString())).salt();
        int commits = 0;
        Frame target = null;
        for (Frame f : DbFiles.frames(segment)) {
            if (f.record() instanceof WalRecord.Commit && ++commits == DAMAGED_TX + 1) { // +1: the schema transaction
                target = f;
                break;
            }
        }
        assertTrue(target != null, "commit of transaction " + DAMAGED_TX);
        int payload = target.offset() + WalFormat.FRAME_HEADER_SIZE;
        assertEquals(1, data[payload], "a one-record transaction's commit starts with record count 1");
        data[payload] = 2; // now claims two records; the checksum is made valid again
        int len = WalFormat.framePayloadLength(data, target.offset());
        int crc = Checksums.crc32c(salt, data, target.offset() + 4,
                WalFormat.FRAME_HEADER_SIZE - 4 + len);
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(target.offset(), crc);
        Files.write(segment, data);

        Path crashImage;
        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.FORCE))) {
            assertEquals(TRANSACTIONS - 1, txs(db).size(), "FORCE skips only the inconsistent transaction");
            assertEquals(List.of(EventKind.INCOMPLETE_TRANSACTION_DISCARDED), db.recoveryReport().events().stream()
                    .map(RecoveryReport.Event::kind).toList(), "only the inconsistent transaction is reported");
            crashImage = DbFiles.copy(dir, tmp.resolve("mismatch-crash"));
        }
        try (KeelDb db = KeelDb.open(crashImage, options(RecoveryMode.NORMAL))) {
            Set<Long> seen = txs(db);
            assertEquals(TRANSACTIONS - 1, seen.size(), "what FORCE recovered is on disk, not only in memory: " + seen);
            assertFalse(seen.contains((long) DAMAGED_TX));
        }
    }
}
