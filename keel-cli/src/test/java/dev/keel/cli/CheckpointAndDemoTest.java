package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keel checkpoint} and {@code keel demo} on real directories. */
class CheckpointAndDemoTest {
    @TempDir
    Path tmp;

    @Test
    void checkpointPrintsTheLsnAndAReopenSeesTheData() {
        Path dir = TestDbs.small(tmp.resolve("db"), 5);
        long lsn;
        try (KeelDb db = KeelDb.open(dir, KeelOptions.defaults())) {
            db.execute(tx -> tx.insert("Item", Map.of("n", 6L)));
            lsn = db.snapshot().lsn();
        }
        Cli.Result r = Cli.run("checkpoint", dir.toString());
        assertEquals(0, r.exitCode(), r.toString());
        Matcher m = Pattern.compile("checkpoint written at LSN (\\d+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals(lsn, Long.parseLong(m.group(1)));
        try (KeelDb db = KeelDb.open(dir, KeelOptions.defaults())) {
            assertEquals(6, db.snapshot().count("Item"));
            assertEquals(lsn, db.snapshot().lsn());
            assertEquals(0, db.recoveryReport().recordsReplayed(), "the checkpoint holds everything");
        }
    }

    @Test
    void demoWritesADatabaseAndSaysHowToInspectIt() {
        Path dir = tmp.resolve("demo");
        Cli.Result r = Cli.run("demo", dir.toString(), "--entities", "40", "--threads", "2");
        assertEquals(0, r.exitCode(), r.toString());
        assertContains(r.out(), "inserted 40 entities", "reopened", "40 Person entities (expected 40)",
                "plan:    INDEX Person.by_age", "keel inspect " + dir, "keel verify " + dir);
        Cli.Result again = Cli.run("demo", dir.toString(), "--entities", "10");
        assertEquals(0, again.exitCode(), again.toString());
        assertContains(again.out(), "opened " + dir.toAbsolutePath() + ": 40 Person entities stored",
                "50 Person entities (expected 50)");
        Cli.Result export = Cli.run("export", dir.toString());
        assertEquals(0, export.exitCode(), export.toString());
        assertEquals(51, export.out().lines().count(), "header plus 50 entities");
    }
}
