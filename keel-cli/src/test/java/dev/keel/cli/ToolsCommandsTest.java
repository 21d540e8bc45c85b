package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.KeelDb;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * inspect, verify, backup and restore end to end. These run on dev.keel.tools.{Inspector, Verifier,
 * Backups}, which are skeletons on the cli branch (they throw UnsupportedOperationException, exit
 * 70) until the tools branch is merged: until then every test here fails.
 */
class ToolsCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void inspectJsonParsesAndCarriesTheLsn() throws IOException {
        Path dir = TestDbs.small(tmp.resolve("db"), 5);
        long lsn;
        try (KeelDb db = KeelDb.open(dir, TestDbs.options())) {
            lsn = db.snapshot().lsn();
        }
        Map<String, String> before = TestDbs.fingerprint(dir);
        Cli.Result r = Cli.run("inspect", dir.toString(), "--json");
        assertEquals(0, r.exitCode(), r.toString());
        JsonNode info = Json.REPORTS.readTree(r.out());
        assertEquals(lsn, info.get("lastLsn").asLong(), r.out());
        assertEquals(5, info.get("entitiesPerType").get("Item").asLong(), r.out());
        assertTrue(info.get("directory").asText().endsWith("db"), r.out());
        assertTrue(info.has("segments") && info.has("checkpoint") && info.has("lockHolder"), r.out());

        Cli.Result human = Cli.run("inspect", dir.toString());
        assertEquals(0, human.exitCode(), human.toString());
        assertContains(human.out(), "last LSN     " + lsn, "Item", "lock         free");
        assertEquals(before, TestDbs.fingerprint(dir), "inspect wrote nothing");
    }

    @Test
    void verifyIsCleanOnAGoodDatabaseAndFindsCorruptionWithoutWriting() throws IOException {
        Path good = TestDbs.small(tmp.resolve("good"), 5);
        Map<String, String> before = TestDbs.fingerprint(good);
        Cli.Result clean = Cli.run("verify", good.toString());
        assertEquals(0, clean.exitCode(), clean.toString());
        assertContains(clean.out(), "CLEAN");
        assertEquals(before, TestDbs.fingerprint(good), "verify wrote nothing");

        Path bad = tmp.resolve("bad");
        Path segment = TestDbs.corruptImage(tmp, bad);
        Map<String, String> badBefore = TestDbs.fingerprint(bad);
        Cli.Result problems = Cli.run("verify", bad.toString());
        assertEquals(1, problems.exitCode(), problems.toString());
        assertContains(problems.out(), "PROBLEM", segment.getFileName().toString(), "PROBLEMS");
        Cli.Result json = Cli.run("verify", bad.toString(), "--json");
        assertEquals(1, json.exitCode(), json.toString());
        JsonNode report = Json.REPORTS.readTree(json.out());
        assertEquals("PROBLEMS", report.get("outcome").asText());
        assertTrue(report.get("findings").size() >= 1);
        assertEquals(badBefore, TestDbs.fingerprint(bad), "verify wrote nothing");
    }

    @Test
    void onlineBackupRestoreVerifyAndEqualExports() throws IOException {
        Path dir = TestDbs.small(tmp.resolve("db"), 10);
        Path backup = tmp.resolve("backup");
        try (KeelDb db = KeelDb.open(dir, TestDbs.options())) {
            db.execute(tx -> tx.insert("Item", Map.of("n", 11L, "label", "written while open")));
            Cli.Result r = Cli.run("backup", dir.toString(), backup.toString());
            assertEquals(0, r.exitCode(), "backup works while this JVM has the database open: " + r);
            assertContains(r.out(), "verified", "11 entities", "keel restore " + backup);
        }
        Path restored = tmp.resolve("restored");
        Cli.Result restore = Cli.run("restore", backup.toString(), restored.toString());
        assertEquals(0, restore.exitCode(), restore.toString());
        assertContains(restore.out(), "verified", "11 entities");
        assertEquals(0, Cli.run("verify", restored.toString()).exitCode());

        List<String> original = exportLines(dir);
        assertEquals(12, original.size());
        assertEquals(original.subList(1, 12), exportLines(restored).subList(1, 12), "same entities");
        assertEquals(original.subList(1, 12), exportLines(backup).subList(1, 12), "same entities");
        assertEquals(types(original.get(0)), types(exportLines(restored).get(0)), "same types");

        Cli.Result notEmpty = Cli.run("backup", dir.toString(), backup.toString());
        assertEquals(1, notEmpty.exitCode(), notEmpty.toString());
        assertContains(notEmpty.err(), "is not empty");
        Cli.Result restoreOver = Cli.run("restore", backup.toString(), dir.toString());
        assertEquals(1, restoreOver.exitCode(), restoreOver.toString());
    }

    private List<String> exportLines(Path db) throws IOException {
        Path file = Files.createTempFile(tmp, "export", ".jsonl");
        Cli.Result r = Cli.run("export", db.toString(), "-o", file.toString());
        assertEquals(0, r.exitCode(), r.toString());
        return Files.readAllLines(file);
    }

    private static JsonNode types(String header) throws IOException {
        return Json.LINES.readTree(header).get("types");
    }
}
