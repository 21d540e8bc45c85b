package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged log record followed by good ones (G4): NORMAL commands refuse with exit 2 naming file
 * and offset and change nothing; {@code recover --mode read-only} reports without writing a byte;
 * {@code recover --mode force} repairs so that NORMAL opens again.
 */
class CorruptionCommandsTest {
    @TempDir
    Path tmp;

    private static Map<String, String> withoutLock(Map<String, String> fingerprint) {
        Map<String, String> m = new java.util.TreeMap<>(fingerprint);
        m.remove("keel.lock");
        return m;
    }

    @Test
    void checkpointRefusesRecoverReadOnlyReportsForceRepairs() throws Exception {
        Path dir = tmp.resolve("db");
        Path segment = TestDbs.corruptImage(tmp, dir);
        Map<String, String> before = TestDbs.fingerprint(dir);

        Cli.Result checkpoint = Cli.run("checkpoint", dir.toString());
        assertEquals(2, checkpoint.exitCode(), checkpoint.toString());
        assertContains(checkpoint.err(), "keel checkpoint: ", segment.getFileName().toString(), "offset ",
                "keel recover " + dir + " --mode read-only", "--mode force");
        Matcher offset = Pattern.compile("offset (\\d+)").matcher(checkpoint.err());
        assertTrue(offset.find(), checkpoint.err());
        assertTrue(Long.parseLong(offset.group(1)) > 64, "an offset past the segment header: " + offset.group(1));
        assertEquals(withoutLock(before), withoutLock(TestDbs.fingerprint(dir)),
                "a refused checkpoint changed nothing (but the lock file's holder text)");
        before = TestDbs.fingerprint(dir);

        Cli.Result readOnly = Cli.run("recover", dir.toString(), "--mode", "read-only");
        assertEquals(1, readOnly.exitCode(), readOnly.toString());
        assertContains(readOnly.out(), "recovery (READ_ONLY)", "CHECKSUM_MISMATCH", segment.getFileName().toString(),
                "offset ", "not copied to quarantine", "Nothing was written");
        assertEquals(before, TestDbs.fingerprint(dir), "recover --mode read-only wrote nothing (listing and bytes)");

        Cli.Result json = Cli.run("recover", dir.toString(), "--mode", "read-only", "--json");
        assertEquals(1, json.exitCode(), json.toString());
        var report = Json.REPORTS.readTree(json.out());
        assertEquals("READ_ONLY", report.get("mode").asText());
        assertFalse(report.get("clean").asBoolean());
        assertTrue(report.get("events").size() >= 1);
        var event = report.get("events").get(0);
        for (String field : new String[] {"kind", "file", "offset", "lsn", "length", "quarantineFile", "detail"}) {
            assertTrue(event.has(field), field + " in " + event);
        }
        assertEquals(before, TestDbs.fingerprint(dir));

        Cli.Result export = Cli.run("export", dir.toString(), "-o", tmp.resolve("partial.jsonl").toString());
        assertEquals(1, export.exitCode(), "export of what READ_ONLY can read says it is incomplete: " + export);
        assertContains(export.err(), "incomplete");
        assertEquals(before, TestDbs.fingerprint(dir));

        Cli.Result force = Cli.run("recover", dir.toString(), "--mode", "force");
        assertEquals(0, force.exitCode(), force.toString());
        assertContains(force.out(), "recovery (FORCE)", "CHECKSUM_MISMATCH", "kept in ", "quarantine");

        Cli.Result again = Cli.run("checkpoint", dir.toString());
        assertEquals(0, again.exitCode(), again.toString());
        try (KeelDb db = KeelDb.open(dir, KeelOptions.defaults())) {
            assertTrue(db.recoveryReport().clean(), db.recoveryReport().toString());
            Set<Long> items = db.snapshot().scan("Item").map(e -> e.getLong("n")).collect(Collectors.toSet());
            assertEquals(TestDbs.ITEMS - 1, items.size(), "every item but the damaged one: " + items);
            assertFalse(items.contains((long) TestDbs.DAMAGED));
        }
    }
}
