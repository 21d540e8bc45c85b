package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The system type {@code keel_idempotency} (the records of {@code KeelDb.writeIdempotent}) in the
 * tools: export leaves it out (an import into a new database starts without idempotency records),
 * inspect counts its records, verify checks them like any entity.
 */
class SystemTypesCliTest {
    @TempDir
    Path tmp;

    @Test
    void exportSkipsIdempotencyRecordsAndInspectAndVerifyShowThem() throws IOException {
        Path dir = TestDbs.small(tmp.resolve("db"), 3);
        try (KeelDb db = KeelDb.open(dir, TestDbs.options())) {
            for (int i = 0; i < 4; i++) {
                long n = 100 + i;
                db.writeIdempotent("req-" + i, ("POST /items " + n).getBytes(StandardCharsets.UTF_8), tx -> {
                    tx.insert("Item", Map.of("n", n, "label", "idempotent"));
                    return ("created " + n).getBytes(StandardCharsets.UTF_8);
                });
            }
        }
        Path file = tmp.resolve("all.jsonl");
        Cli.Result export = Cli.run("export", dir.toString(), "-o", file.toString());
        assertEquals(0, export.exitCode(), export.toString());
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(1 + 3 + 4, lines.size(), "header and the 7 items, no idempotency records");
        assertFalse(String.join("\n", lines).contains("keel_"), "nothing of the system type is exported");
        JsonNode types = Json.LINES.readTree(lines.get(0)).get("types");
        assertEquals(1, types.size());
        assertEquals("Item", types.get(0).get("name").asText());

        Path target = tmp.resolve("target");
        Cli.Result imported = Cli.run("import", target.toString(), "--input", file.toString());
        assertEquals(0, imported.exitCode(), imported.toString());
        try (KeelDb db = KeelDb.open(target, KeelOptions.builder().recoveryMode(RecoveryMode.READ_ONLY).build())) {
            assertEquals(7, db.snapshot().count("Item"));
            assertEquals(0, db.snapshot().count("keel_idempotency"));
        }

        Cli.Result inspect = Cli.run("inspect", dir.toString(), "--json");
        assertEquals(0, inspect.exitCode(), inspect.toString());
        JsonNode perType = Json.REPORTS.readTree(inspect.out()).get("entitiesPerType");
        assertEquals(7, perType.get("Item").asLong(), inspect.out());
        assertEquals(4, perType.get("keel_idempotency").asLong(), inspect.out());
        Cli.Result inspectTarget = Cli.run("inspect", target.toString(), "--json");
        assertTrue(!Json.REPORTS.readTree(inspectTarget.out()).get("entitiesPerType").has("keel_idempotency"),
                "an empty system type is not listed: " + inspectTarget.out());

        Cli.Result verify = Cli.run("verify", dir.toString());
        assertEquals(0, verify.exitCode(), verify.toString());
        assertContains(verify.out(), "CLEAN");
    }
}
