package dev.keel.internal.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.RecoveryReport.Event;
import dev.keel.RecoveryReport.EventKind;
import dev.keel.fault.CrashHook;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.wal.SegmentScanner.Frame;
import dev.keel.internal.wal.WalRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recovery report's categories that other tests do not produce (corruption that is not a
 * record, files of a stale generation) and the rotation of {@code recovery.json}.
 */
class RecoveryReportTest {
    private static final EntityType ITEM = EntityType.builder("Item").field(Field.longField("tx").required()).build();

    @TempDir
    Path tmp;

    private static KeelOptions options(RecoveryMode mode) {
        return KeelOptions.builder().entityType(ITEM).segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .recoveryMode(mode).build();
    }

    private static void commit(KeelDb db, int transactions, int perTx) {
        for (int t = 0; t < transactions; t++) {
            long n = t;
            db.execute(tx -> {
                for (int i = 0; i < perTx; i++) {
                    tx.insert("Item", Map.of("tx", n));
                }
            });
        }
    }

    @Test
    void bytesThatAreNotARecordFollowedByGoodOnesAreCorruptionNotAChecksumMismatch() throws IOException {
        Path live = tmp.resolve("live");
        Path image;
        try (KeelDb db = KeelDb.open(live, options(RecoveryMode.NORMAL))) {
            commit(db, 20, 1);
            image = DbFiles.copy(live, tmp.resolve("image"));
        }
        Path segment = DbFiles.segmentsWithFrames(image).get(0);
        Frame victim = DbFiles.frames(segment).stream().filter(f -> f.record() instanceof WalRecord.Put).skip(5)
                .findFirst().orElseThrow();
        byte[] data = Files.readAllBytes(segment);
        for (int i = 0; i < victim.size(); i++) {
            data[victim.offset() + i] = (byte) 0xEE; // the length field too: not a frame at all
        }
        Files.write(segment, data);
        try (KeelDb db = KeelDb.open(image, options(RecoveryMode.FORCE))) {
            RecoveryReport r = db.recoveryReport();
            assertEquals(1, r.count(EventKind.CORRUPT_RECORD_SKIPPED), r.events().toString());
            assertEquals(0, r.count(EventKind.CHECKSUM_MISMATCH), r.events().toString());
            Event e = r.events().stream().filter(ev -> ev.kind() == EventKind.CORRUPT_RECORD_SKIPPED).findFirst()
                    .orElseThrow();
            assertEquals(victim.offset(), e.offset());
            assertNotNull(e.quarantineFile());
            assertFalse(r.clean());
            assertTrue(db.bootMetrics().recordsQuarantined() >= 1);
        }
    }

    @Test
    void filesLeftByAnInterruptedRetirementAreReportedAsAStaleGenerationWithoutMakingTheReportUnclean()
            throws IOException {
        Path live = tmp.resolve("live");
        Path dir = tmp.resolve("db");
        Path old = tmp.resolve("old");
        Files.createDirectories(old);
        try (KeelDb db = KeelDb.open(live, options(RecoveryMode.NORMAL))) {
            Path dir0 = live;
            commit(db, 50, 20); // several 64 KiB segments
            db.checkpoint();
            try (Stream<Path> files = Files.list(dir0)) {
                for (Path f : files.toList()) {
                    Files.copy(f, old.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            commit(db, 300, 20); // the segments of the first checkpoint fill up and rotate
            db.checkpoint(); // deletes the first checkpoint and retires the first segments
            commit(db, 1, 1);
            DbFiles.copy(live, dir); // a crash image
        }
        Set<String> restored = new TreeSet<>();
        try (Stream<Path> files = Files.list(old)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if ((name.startsWith("wal-") || name.endsWith(".kcp")) && !Files.exists(dir.resolve(name))) {
                    Files.copy(f, dir.resolve(name)); // what a crash before the deletions were durable leaves
                    restored.add(name);
                }
            }
        }
        assertTrue(restored.stream().anyMatch(n -> n.endsWith(".kcp")) && restored.stream().anyMatch(n -> n.startsWith("wal-")),
                "an old checkpoint and an old segment came back: " + restored);
        try (KeelDb db = KeelDb.open(dir, options(RecoveryMode.NORMAL))) {
            RecoveryReport r = db.recoveryReport();
            Set<String> stale = new TreeSet<>();
            for (Event e : r.events()) {
                assertEquals(EventKind.STALE_GENERATION, e.kind(), r.events().toString());
                stale.add(e.file().getFileName().toString());
            }
            assertTrue(stale.stream().anyMatch(n -> n.endsWith(".kcp")), stale.toString());
            assertTrue(stale.stream().anyMatch(n -> n.startsWith("wal-")), stale.toString());
            assertTrue(r.clean(), "informational only");
            assertEquals(350 * 20 + 1, db.snapshot().count("Item"));
        }
        assertFalse(Files.exists(dir.resolve(RecoveryReportFile.NAME)), "no report file for a clean recovery");
    }

    @Test
    void reportsAreRotatedKeepingTheNewestTen() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("db"));
        for (int i = 1; i <= 13; i++) {
            RecoveryReport r = new RecoveryReport(RecoveryMode.NORMAL, 0, null, 1, 100, 0, 0, 0, i, List.of(
                    new Event(EventKind.TORN_TAIL_CUT, dir.resolve("wal-1.log"), 64, i, 10, null, "report " + i)));
            RecoveryReportFile.write(NioFileIO.INSTANCE, dir, r, CrashHook.NONE);
        }
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> names.add(f.getFileName().toString()));
        }
        Set<String> expected = new TreeSet<>(List.of(RecoveryReportFile.NAME));
        for (int n = 3; n <= 12; n++) {
            expected.add("recovery-" + n + ".json");
        }
        assertEquals(expected, names);
        assertTrue(Files.readString(dir.resolve("recovery.json")).contains("\"detail\": \"report 13\""));
        assertTrue(Files.readString(dir.resolve("recovery-12.json")).contains("\"detail\": \"report 12\""));
        assertTrue(Files.readString(dir.resolve("recovery-3.json")).contains("\"detail\": \"report 3\""));
    }
}
