package dev.keel.tools;

import static dev.keel.tools.ToolsTestSupport.checkpoint;
import static dev.keel.tools.ToolsTestSupport.crashImage;
import static dev.keel.tools.ToolsTestSupport.fill;
import static dev.keel.tools.ToolsTestSupport.flipByte;
import static dev.keel.tools.ToolsTestSupport.frames;
import static dev.keel.tools.ToolsTestSupport.lastTransaction;
import static dev.keel.tools.ToolsTestSupport.listing;
import static dev.keel.tools.ToolsTestSupport.options;
import static dev.keel.tools.ToolsTestSupport.segmentsWithFrames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.DatabaseLockedException;
import dev.keel.KeelDb;
import dev.keel.internal.wal.SegmentScanner.Frame;
import dev.keel.internal.wal.WalRecord;
import dev.keel.tools.VerifyReport.Finding;
import dev.keel.tools.VerifyReport.Outcome;
import dev.keel.tools.VerifyReport.Severity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Verifier}: verdicts on clean, torn, corrupt and unreadable databases; read-only; lock-aware. */
class VerifierTest {
    @TempDir
    Path tmp;

    /** A crash image of an open database holding {@code transactions} commits, all in the log. */
    private Path image(String name, int transactions) throws IOException {
        Path live = tmp.resolve(name + "-live");
        try (KeelDb db = KeelDb.open(live, options())) {
            fill(db, transactions);
            return crashImage(live, tmp.resolve(name), false);
        }
    }

    private static List<Finding> of(VerifyReport r, Severity s) {
        return r.findings().stream().filter(f -> f.severity() == s).toList();
    }

    @Test
    void cleanClosedDatabaseIsClean() {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 30);
        }
        VerifyReport r = Verifier.verify(dir);
        assertEquals(Outcome.CLEAN, r.outcome(), r.findings().toString());
        assertEquals(0, r.exitCode());
        assertEquals(List.of(), r.findings());
        assertEquals(1, r.checkpointsRead());
        assertEquals(60, r.entitiesChecked(), "every entity of the checkpoint decoded");
        assertTrue(r.bytesRead() > 0);
    }

    @Test
    void cleanLogIsCleanAndEveryRecordIsChecked() throws IOException {
        Path dir = image("log", 40);
        VerifyReport r = Verifier.verify(dir);
        assertEquals(Outcome.CLEAN, r.outcome(), r.findings().toString());
        assertTrue(of(r, Severity.NOTE).stream().allMatch(f -> f.file().toString().endsWith(".tmp")),
                "at most a note on a segment being prepared: " + r.findings());
        long frames = ToolsTestSupport.segments(dir).stream().mapToLong(s -> frames(s).size()).sum();
        assertEquals(frames, r.recordsChecked());
        assertEquals(80, r.entitiesChecked(), "every PUT decoded");
        assertTrue(r.segmentsRead() >= 1);
    }

    @Test
    void tornTailIsANoteSayingWhatNormalOpenWillCut() throws IOException {
        Path dir = image("torn", 10);
        Path segment = segmentsWithFrames(dir).get(segmentsWithFrames(dir).size() - 1);
        long[] last = lastTransaction(segment);
        flipByte(segment, last[1] - 3);
        VerifyReport r = Verifier.verify(dir);
        assertEquals(Outcome.CLEAN, r.outcome(), r.findings().toString());
        assertEquals(0, r.exitCode());
        Finding note = of(r, Severity.NOTE).stream().filter(f -> f.message().contains("NORMAL open will cut"))
                .findFirst().orElseThrow(() -> new AssertionError(r.findings().toString()));
        assertEquals(segment.getFileName(), note.file().getFileName());
        assertEquals(last[0], note.offset(), "the cut starts at the unfinished transaction");
        assertTrue(note.message().contains("at offset " + last[0]) && note.message().contains("quarantine/"),
                note.message());
    }

    @Test
    void damageFollowedByGoodRecordsIsAProblemNamingFileAndOffset() throws IOException {
        Path dir = image("mid", 20);
        Path segment = segmentsWithFrames(dir).get(0);
        Frame put = frames(segment).stream().filter(f -> f.record() instanceof WalRecord.Put).skip(10).findFirst()
                .orElseThrow();
        long at = put.offset() + put.size() - 2;
        flipByte(segment, at);
        VerifyReport r = Verifier.verify(dir);
        assertEquals(Outcome.PROBLEMS, r.outcome(), r.findings().toString());
        assertEquals(1, r.exitCode());
        Finding p = of(r, Severity.PROBLEM).get(0);
        assertEquals(segment.getFileName(), p.file().getFileName());
        assertTrue(p.offset() <= at && p.offset() >= put.offset(), "offset " + p.offset() + " names the damaged record"
                + " at " + put.offset());
        assertTrue(p.message().contains("keel recover") && p.message().contains("--mode force"), p.message());
    }

    @Test
    void damagedCheckpointIsAProblem() throws IOException {
        Path live = tmp.resolve("live");
        Path dir;
        try (KeelDb db = KeelDb.open(live, options())) {
            fill(db, 10);
            db.checkpoint();
            fill(db, 5);
            dir = crashImage(live, tmp.resolve("db"), false);
        }
        Path checkpoint = checkpoint(dir);
        flipByte(checkpoint, Files.size(checkpoint) - 20);
        VerifyReport r = Verifier.verify(dir);
        assertEquals(Outcome.PROBLEMS, r.outcome(), r.findings().toString());
        Finding p = of(r, Severity.PROBLEM).get(0);
        assertEquals(checkpoint.getFileName(), p.file().getFileName());
        assertTrue(p.message().contains("newest checkpoint is damaged") && p.message().contains("keel recover"),
                p.message());
        assertEquals(1, of(r, Severity.PROBLEM).stream().filter(f -> f.file().equals(checkpoint)).count(),
                "reported once: " + r.findings());
    }

    @Test
    void damagedOnlyCheckpointWithoutLogLeavesNothingReadable() throws IOException {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 10);
        }
        Path checkpoint = checkpoint(dir);
        flipByte(checkpoint, Files.size(checkpoint) - 20);
        VerifyReport r = Verifier.verify(dir);
        assertEquals(Outcome.UNUSABLE, r.outcome(), r.findings().toString());
        assertEquals(checkpoint, of(r, Severity.PROBLEM).get(0).file(), "the damage itself is named");
        assertTrue(of(r, Severity.UNUSABLE).get(0).message().contains("Restore a backup"));
    }

    @Test
    void unknownFormatVersionIsUnusable() throws IOException {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 3);
        }
        ToolsTestSupport.setHeaderVersion(checkpoint(dir), 99);
        VerifyReport r = Verifier.verify(dir);
        assertEquals(Outcome.UNUSABLE, r.outcome(), r.findings().toString());
        assertEquals(2, r.exitCode());
        Finding u = of(r, Severity.UNUSABLE).get(0);
        assertTrue(u.message().contains("format version 99"), u.message());

        Path log = image("log", 3);
        ToolsTestSupport.setHeaderVersion(segmentsWithFrames(log).get(0), 7);
        VerifyReport logReport = Verifier.verify(log);
        assertEquals(Outcome.UNUSABLE, logReport.outcome(), logReport.findings().toString());
        assertTrue(of(logReport, Severity.UNUSABLE).get(0).message().contains("format version 7"));
    }

    @Test
    void verifyWritesNothingEvenWhereRecoveryWouldRepair() throws IOException {
        Path torn = image("torn", 10);
        Path segment = segmentsWithFrames(torn).get(segmentsWithFrames(torn).size() - 1);
        flipByte(segment, lastTransaction(segment)[1] - 3);
        Files.writeString(torn.resolve("checkpoint-0000000000000001.kcp.tmp"), "leftover");
        Path corrupt = image("corrupt", 20);
        Path first = segmentsWithFrames(corrupt).get(0);
        flipByte(first, frames(first).get(10).offset() + 5);
        for (Path dir : List.of(torn, corrupt)) {
            assertFalse(Files.exists(dir.resolve("keel.lock")));
            Map<String, String> before = listing(dir);
            VerifyReport r = Verifier.verify(dir);
            assertFalse(r.findings().isEmpty());
            assertEquals(before, listing(dir), "verify changed " + dir);
            assertFalse(Files.exists(dir.resolve("keel.lock")), "verify created no lock file");
        }
        Path closed = tmp.resolve("closed");
        try (KeelDb db = KeelDb.open(closed, options())) {
            fill(db, 3);
        }
        Map<String, String> before = listing(closed);
        Verifier.verify(closed);
        assertEquals(before, listing(closed), "verify with a lock file present changed nothing either");
    }

    @Test
    void databaseOpenForWritingIsRefused() {
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 2);
            DatabaseLockedException e = assertThrows(DatabaseLockedException.class, () -> Verifier.verify(dir));
            assertTrue(e.getMessage().contains("close it there first"), e.getMessage());
        }
        assertEquals(Outcome.CLEAN, Verifier.verify(dir).outcome(), "verifiable once closed");
    }

    @Test
    void missingOrEmptyDirectoryIsRefusedWithAClearMessage() throws IOException {
        Path missing = tmp.resolve("missing");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Verifier.verify(missing));
        assertTrue(e.getMessage().contains(missing + " does not exist"), e.getMessage());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        e = assertThrows(IllegalArgumentException.class, () -> Verifier.verify(empty));
        assertTrue(e.getMessage().contains("is not a KeelDB database directory (no checkpoint or log segment found)"),
                e.getMessage());
        try (var files = Files.list(empty)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void aDanglingReferenceIsAProblemNamingTheEntity() throws IOException {
        // Foreign keys make a dangling reference impossible to write; only data written before they
        // were enforced (or forged, as here: a checkpoint written directly) can hold one.
        Path dir = tmp.resolve("db");
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 2);
        }
        var schema = dev.keel.internal.entity.SchemaPlanner.plan(dev.keel.internal.entity.Schema.EMPTY,
                options().entityTypes()).target();
        var order = schema.byName("Order");
        var batch = dev.keel.internal.store.MemStore.EMPTY.batch();
        batch.schema(schema);
        batch.put(order.typeId(), 1, dev.keel.internal.entity.EntityCodec.encode(order, 1,
                Map.of("customer", 999L, "amount", 1.0), new dev.keel.internal.codec.ByteWriter(64)));
        Path forged = Files.createDirectories(tmp.resolve("forged"));
        new dev.keel.internal.checkpoint.CheckpointWriter(dev.keel.internal.io.NioFileIO.INSTANCE, forged,
                dev.keel.fault.CrashHook.NONE).write(batch.apply(1));
        VerifyReport r = Verifier.verify(forged);
        assertEquals(Outcome.PROBLEMS, r.outcome(), r.findings().toString());
        assertEquals(1, r.findings().size(), r.findings().toString());
        Finding n = r.findings().get(0);
        assertEquals(Severity.PROBLEM, n.severity());
        assertTrue(n.message().contains("Order#1.customer references Customer#999, which does not exist")
                && n.message().contains("foreign key"), n.message());
        assertEquals(Outcome.CLEAN, Verifier.verify(dir).outcome(), "references written through the API are whole");
    }

    @Test
    void aFlippedBitInARecordIsOneProblemNotAlsoAGapOrADiscardedTransaction() throws IOException {
        Path live = tmp.resolve("live");
        Path dir;
        try (KeelDb db = KeelDb.open(live, options())) {
            fill(db, 20);
            dir = crashImage(live, tmp.resolve("mid"), false);
        }
        Path segment = segmentsWithFrames(dir).get(0);
        Frame put = frames(segment).stream().filter(f -> f.record() instanceof WalRecord.Put).skip(10).findFirst()
                .orElseThrow();
        flipByte(segment, put.offset() + put.size() - 2);
        VerifyReport r = Verifier.verify(dir);
        List<Finding> problems = r.findings().stream().filter(f -> f.severity() == Severity.PROBLEM).toList();
        assertEquals(1, problems.size(), r.findings().toString());
        assertEquals(segment, problems.get(0).file());
    }

    @Test
    void filesOfAStaleGenerationAreANoteAndTheDatabaseIsClean() throws IOException {
        Path dir = tmp.resolve("db");
        Path saved = Files.createDirectories(tmp.resolve("saved"));
        try (KeelDb db = KeelDb.open(dir, options())) {
            fill(db, 3);
            db.checkpoint();
            Path first = checkpoint(dir);
            Files.copy(first, saved.resolve(first.getFileName()));
            fill(db, 3);
            db.checkpoint();
        }
        Path stale;
        try (var files = Files.list(saved)) {
            stale = files.findFirst().orElseThrow();
        }
        Files.copy(stale, dir.resolve(stale.getFileName())); // what a crash before its deletion was durable leaves
        VerifyReport r = Verifier.verify(dir);
        assertEquals(Outcome.CLEAN, r.outcome(), r.findings().toString());
        assertTrue(r.findings().stream().anyMatch(f -> f.severity() == Severity.NOTE
                && f.file().getFileName().equals(stale.getFileName())), r.findings().toString());
        RestoreResult restored = Backups.restore(dir, tmp.resolve("restored"));
        assertTrue(restored.entities() > 0);
    }
}
