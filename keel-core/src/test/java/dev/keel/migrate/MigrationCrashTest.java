package dev.keel.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.MigrationException;
import dev.keel.MigrationStep;
import dev.keel.RecoveryReport;
import dev.keel.SchemaMismatchException;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.wal.SegmentScanner;
import dev.keel.internal.wal.WalFormat;
import dev.keel.internal.wal.WalRecord;
import dev.keel.testutil.DbFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crashes in the middle of a migration (at its commit point, between the batches of a user
 * migration step) followed by a successful reopen; user steps running exactly once; log records
 * that cannot be migrated. A crash is a copy of the directory of the still-open database taken at
 * the moment (what a killed process leaves). Randomized cases print their seed and accept
 * {@code -Dkeel.test.seed}.
 */
class MigrationCrashTest {
    static final EntityType PERSON = SchemaEvolutionTest.PERSON;
    static final EntityType PERSON_V2 = EntityType.builder("Person").requiredField("name", FieldType.TEXT)
            .field("age", FieldType.LONG).field(Field.text("city").defaultValue("Oslo")).build();
    static final EntityType COUNTER = EntityType.builder("Counter").requiredField("value", FieldType.LONG).build();

    @TempDir
    Path tmp;

    static KeelOptions.Builder options(EntityType... types) {
        return KeelOptions.builder().segmentSizeInBytes(64 * 1024).entityTypes(types);
    }

    @ParameterizedTest
    @EnumSource(value = CrashPoint.class, names = {"MIGRATION_BEFORE_COMMIT", "MIGRATION_AFTER_COMMIT"})
    void crashAtTheMigrationCommitThenReopen(CrashPoint point) {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options(PERSON).build())) {
            SchemaEvolutionTest.people(db);
        }
        Path image = tmp.resolve("image");
        AtomicBoolean crashed = new AtomicBoolean();
        try (KeelDb db = KeelDb.open(dir, options(PERSON_V2).crashHook(p -> {
            if (p == point && crashed.compareAndSet(false, true)) {
                DbFiles.copy(dir, image);
            }
        }).build())) {
            assertEquals("Oslo", db.snapshot().get("Person", 1).orElseThrow().values().get("city"));
        }
        assertTrue(crashed.get());
        if (point == CrashPoint.MIGRATION_BEFORE_COMMIT) {
            Path old = tmp.resolve("image-old");
            DbFiles.copy(image, old);
            try (KeelDb db = KeelDb.open(old, options(PERSON).build())) {
                assertEquals(List.of(PERSON), db.schema(), "not committed: the old schema is still stored");
                assertEquals(2, db.snapshot().count("Person"));
            }
        }
        try (KeelDb db = KeelDb.open(image, options(PERSON_V2).build())) {
            // A kill can leave a segment being prepared; nothing else is repaired.
            assertTrue(db.recoveryReport().events().stream().allMatch(e -> e.kind().informational()
                    || e.kind() == RecoveryReport.EventKind.TEMP_FILE_REMOVED), db.recoveryReport().toString());
            assertEquals(List.of(PERSON_V2), db.schema());
            assertEquals(Map.of("name", "bob", "age", 42L, "city", "Oslo"),
                    db.snapshot().get("Person", 2).orElseThrow().values());
        }
    }

    /** A non-idempotent step: adds 1 to every counter and counts its calls. */
    static MigrationStep bump(AtomicLong calls, Runnable atCall, long crashAtCall) {
        return new MigrationStep("bump", "Counter", values -> {
            if (calls.incrementAndGet() == crashAtCall) {
                atCall.run();
            }
            values.put("value", (Long) values.get("value") + 1);
            return values;
        });
    }

    @Test
    void aStepCrashedBetweenBatchesResumesAndMigratesEachEntityExactlyOnce() {
        long seed = Long.getLong("keel.test.seed", System.nanoTime());
        System.out.println("MigrationCrashTest seed " + seed + " (rerun with -Dkeel.test.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        // At least one batch committed before the crash, the crash anywhere in a later batch.
        int n = MigrationStep.BATCH_SIZE + 1 + random.nextInt(2 * MigrationStep.BATCH_SIZE + 500);
        long crashAt = MigrationStep.BATCH_SIZE + 1 + random.nextInt(n - MigrationStep.BATCH_SIZE);
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options(COUNTER).build())) {
            db.write(tx -> {
                for (int i = 0; i < n; i++) {
                    tx.insert("Counter", Map.of("value", 10L * i));
                }
                return null;
            });
        }
        Path image = tmp.resolve("image");
        AtomicLong calls = new AtomicLong();
        try (KeelDb db = KeelDb.open(dir, options(COUNTER)
                .migration(bump(calls, () -> DbFiles.copy(dir, image), crashAt)).build())) {
            assertEquals(n, calls.get(), "seed " + seed);
            checkBumpedOnce(db, n, seed);
        }
        long committedBefore = (crashAt - 1) / MigrationStep.BATCH_SIZE * MigrationStep.BATCH_SIZE;
        // An unfinished step that is no longer declared fails the open, naming it.
        SchemaMismatchException e = assertThrows(SchemaMismatchException.class,
                () -> KeelDb.open(image, options(COUNTER).build()));
        assertTrue(e.getMessage().contains("bump") && e.getMessage().contains("declare it again"), e.getMessage());
        AtomicLong resumed = new AtomicLong();
        try (KeelDb db = KeelDb.open(image, options(COUNTER).migration(bump(resumed, () -> { }, -1)).build())) {
            assertEquals(n - committedBefore, resumed.get(), "resumed after the last committed batch; seed " + seed);
            checkBumpedOnce(db, n, seed);
        }
        AtomicLong again = new AtomicLong();
        try (KeelDb db = KeelDb.open(image, options(COUNTER).migration(bump(again, () -> { }, -1)).build())) {
            assertEquals(0, again.get(), "a finished step never runs again");
            checkBumpedOnce(db, n, seed);
        }
        // Finished steps need not stay declared.
        try (KeelDb db = KeelDb.open(image, options(COUNTER).build())) {
            checkBumpedOnce(db, n, seed);
        }
    }

    private static void checkBumpedOnce(KeelDb db, int n, long seed) {
        assertEquals(n, db.snapshot().count("Counter"));
        db.snapshot().scan("Counter").forEach(c -> assertEquals(10L * (c.id() - 1) + 1, c.getLong("value"),
                "Counter#" + c.id() + " migrated exactly once; seed " + seed));
    }

    @Test
    void aFailingStepStopsTheOpenNamingStepAndEntityAndResumesThere() {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options(COUNTER).build())) {
            for (int i = 0; i < 5; i++) {
                db.write(tx -> tx.insert("Counter", Map.of("value", 1L)));
            }
        }
        MigrationStep failing = new MigrationStep("bump", "Counter", v -> {
            throw new IllegalStateException("boom");
        });
        MigrationException e = assertThrows(MigrationException.class,
                () -> KeelDb.open(dir, options(COUNTER).migration(failing).build()));
        assertTrue(e.getMessage().contains("bump") && e.getMessage().contains("Counter#1")
                && e.getMessage().contains("boom"), e.getMessage());
        MigrationStep invalid = new MigrationStep("bump", "Counter", v -> Map.of("value", "not a number"));
        MigrationException bad = assertThrows(MigrationException.class,
                () -> KeelDb.open(dir, options(COUNTER).migration(invalid).build()));
        assertTrue(bad.getMessage().contains("Counter#1") && bad.getMessage().contains("invalid"), bad.getMessage());
        AtomicLong calls = new AtomicLong();
        try (KeelDb db = KeelDb.open(dir, options(COUNTER).migration(bump(calls, () -> { }, -1)).build())) {
            assertEquals(5, calls.get());
            assertEquals(2L, db.snapshot().get("Counter", 5).orElseThrow().getLong("value"));
        }
    }

    @Test
    void stepDeclarationsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> options(COUNTER)
                .migration(new MigrationStep("a", "Counter", v -> v)).migration(new MigrationStep("a", "Counter", v -> v)));
        assertThrows(IllegalArgumentException.class, () -> options(COUNTER)
                .migration(new MigrationStep("a", "Nope", v -> v)).build());
        assertThrows(IllegalArgumentException.class, () -> new MigrationStep("bad name!", "Counter", v -> v));
        assertThrows(NullPointerException.class, () -> new MigrationStep("a", "Counter", null));
    }

    @Test
    void aPutUnderAnUnknownSchemaVersionIsQuarantinedAndReportedOrFailsTheOpenWhenStrict() throws IOException {
        Path dir = tmp.resolve("db");
        Path image = tmp.resolve("image");
        try (KeelDb db = KeelDb.open(dir, options(PERSON).build())) {
            SchemaEvolutionTest.people(db);
            DbFiles.copy(dir, image);
        }
        ByteWriter entity = new ByteWriter(32);
        entity.writeVarLong(1).writeVarInt(1).writeVarInt(1).writeString("zed");
        Path segment = appendTransaction(image, new WalRecord.Put(99, 1, 3, entity.toByteArray()));
        Path strictCopy = tmp.resolve("strict");
        DbFiles.copy(image, strictCopy);

        MigrationException e = assertThrows(MigrationException.class,
                () -> KeelDb.open(strictCopy, options(PERSON).strictMigration(true).build()));
        assertTrue(e.getMessage().contains(segment.getFileName().toString()) && e.getMessage().contains("offset")
                && e.getMessage().contains("schema version 99"), e.getMessage());

        try (KeelDb db = KeelDb.open(image, options(PERSON).build())) {
            RecoveryReport r = db.recoveryReport();
            assertEquals(1, r.count(RecoveryReport.EventKind.RECORD_NOT_APPLIED), r.toString());
            RecoveryReport.Event ev = r.events().stream()
                    .filter(x -> x.kind() == RecoveryReport.EventKind.RECORD_NOT_APPLIED).findFirst().orElseThrow();
            assertTrue(ev.detail().contains("schema version 99") && ev.detail().contains("#3"), ev.detail());
            assertNotNull(ev.quarantineFile());
            assertTrue(Files.exists(ev.quarantineFile()));
            assertEquals(2, db.snapshot().count("Person"), "the transaction is skipped whole");
            SchemaEvolutionTest.insert(db, "Person", Map.of("name", "new"));
        }
        try (KeelDb db = KeelDb.open(image, options(PERSON).build())) {
            assertEquals(3, db.snapshot().count("Person"), "the log continued after the skipped transaction");
        }
    }

    /** Appends one committed transaction of {@code records} after the last frame of the newest segment. */
    static Path appendTransaction(Path dir, WalRecord... records) throws IOException {
        Path seg = DbFiles.list(dir).stream().filter(p -> WalFormat.parseId(p.getFileName().toString()) >= 0)
                .max(Comparator.comparingLong(p -> WalFormat.parseId(p.getFileName().toString()))).orElseThrow();
        byte[] data = Files.readAllBytes(seg);
        WalFormat.Header h = WalFormat.readHeader(data, data.length, seg, WalFormat.parseId(seg.getFileName().toString()));
        SegmentScanner.Result scan = SegmentScanner.scan(data, data.length, h.salt());
        long last = scan.frames().get(scan.frames().size() - 1).lsn();
        long lsn = last + 1;
        ByteWriter out = new ByteWriter(256);
        for (WalRecord r : records) {
            ByteWriter payload = new ByteWriter(64);
            r.writePayload(payload);
            WalFormat.writeFrame(out, h.salt(), lsn++, r.kind(), payload.array(), 0, payload.position());
        }
        ByteWriter commit = new ByteWriter(32);
        new WalRecord.Commit(records.length, 0, last).writePayload(commit);
        WalFormat.writeFrame(out, h.salt(), lsn, WalRecord.COMMIT, commit.array(), 0, commit.position());
        System.arraycopy(out.array(), 0, data, scan.dataEnd(), out.position());
        Files.write(seg, data);
        return seg;
    }

}
