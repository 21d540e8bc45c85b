package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A bad line stops the import with exit 1 naming the line; with {@code --batch-size 2} lines 2-3
 * are one committed batch, line 4 is in the batch the bad line 5 rolls back, nothing after is read.
 */
class ImportErrorsTest {
    private static final String HEADER = "{\"keel\":\"export\",\"format\":1,\"lsn\":9,\"types\":[{\"name\":\"Person\","
            + "\"fields\":[{\"name\":\"name\",\"type\":\"TEXT\",\"required\":true,\"default\":null,\"target\":null},"
            + "{\"name\":\"age\",\"type\":\"LONG\",\"required\":false,\"default\":null,\"target\":null}]}]}";

    @TempDir
    Path tmp;

    private static String person(long id, String name) {
        return "{\"type\":\"Person\",\"id\":" + id + ",\"fields\":{\"name\":\"" + name + "\",\"age\":" + id + "}}";
    }

    private Path input(String line5) throws IOException {
        List<String> lines = new ArrayList<>(List.of(HEADER, person(1, "a"), person(2, "b"), person(3, "c"), line5,
                person(6, "f"), person(7, "g")));
        return Files.write(tmp.resolve("in.jsonl"), lines);
    }

    private static List<Long> ids(Path dir) {
        try (KeelDb db = KeelDb.open(dir, KeelOptions.builder().recoveryMode(RecoveryMode.READ_ONLY).build())) {
            return db.snapshot().scan("Person").map(e -> e.id()).collect(Collectors.toList());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "malformed JSON | {\"type\":\"Person\",\"id\":5,\"fields\":{\"name\":\"e\" | malformed JSON",
        "unknown type | {\"type\":\"Robot\",\"id\":5,\"fields\":{\"name\":\"e\"}} | unknown entity type \"Robot\"",
        "wrong field type | {\"type\":\"Person\",\"id\":5,\"fields\":{\"name\":\"e\",\"age\":\"old\"}} | Person.age: expected a whole number, got \"old\"",
        "fractional long | {\"type\":\"Person\",\"id\":5,\"fields\":{\"name\":\"e\",\"age\":1.5}} | Person.age: expected a whole number",
        "duplicate id | {\"type\":\"Person\",\"id\":1,\"fields\":{\"name\":\"again\"}} | Person#1 already exists",
        "unknown field | {\"type\":\"Person\",\"id\":5,\"fields\":{\"name\":\"e\",\"height\":2}} | unknown field \"height\"",
        "unknown key | {\"type\":\"Person\",\"id\":5,\"fields\":{\"name\":\"e\"},\"extra\":1} | unknown key \"extra\"",
        "missing required field | {\"type\":\"Person\",\"id\":5,\"fields\":{\"age\":5}} | name",
        "two values on a line | {\"type\":\"Person\",\"id\":5,\"fields\":{\"name\":\"e\"}} {} | more than one JSON value",
        "empty line | `` | empty line"})
    void aBadLineStopsTheImportKeepingTheCommittedBatches(String what, String line5, String message) throws IOException {
        Path dir = tmp.resolve("db");
        Cli.Result r = Cli.run("import", dir.toString(), "--input", input(line5).toString(), "--batch-size", "2");
        assertEquals(1, r.exitCode(), what + ": " + r);
        assertContains(r.err(), "keel import: line 5: ", message, "batches up to line 3 were committed",
                "line 4 was rolled back", "nothing after line 5 was read");
        assertEquals(List.of(1L, 2L), ids(dir), "the batch of lines 2-3 is committed, nothing from line 4 on");
    }

    @Test
    void missingHeaderStopsAtLine1AndCreatesNothing() throws IOException {
        Path dir = tmp.resolve("db");
        Path in = Files.write(tmp.resolve("in.jsonl"), List.of(person(1, "a"), person(2, "b")));
        Cli.Result r = Cli.run("import", dir.toString(), "--input", in.toString());
        assertEquals(1, r.exitCode(), r.toString());
        assertContains(r.err(), "keel import: line 1: missing header", "nothing was committed");
        assertFalse(Files.exists(dir), "no database is created without a header");

        Cli.Result empty = Cli.runWithInput("", "import", dir.toString());
        assertEquals(1, empty.exitCode(), empty.toString());
        assertContains(empty.err(), "line 1: missing header: the input is empty");
    }

    @Test
    void headerErrorsNameWhatIsWrong() throws IOException {
        Path dir = tmp.resolve("db");
        String[][] cases = {
            {HEADER.replace("\"format\":1", "\"format\":3"), "export format 3 is not supported"},
            {HEADER.replace("\"lsn\":9", "\"lsn\":9,\"comment\":\"x\""), "unknown key \"comment\""},
            {HEADER.replace("\"LONG\"", "\"INTEGER\""), "unknown field type \"INTEGER\""},
            {HEADER.replace("\"LONG\",\"required\":false,\"default\":null,\"target\":null",
                    "\"REFERENCE\",\"required\":false,\"default\":null,\"target\":\"Nobody\""), "Nobody"},
        };
        for (String[] c : cases) {
            Cli.Result r = Cli.runWithInput(c[0] + "\n" + person(1, "a") + "\n", "import", dir.toString());
            assertEquals(1, r.exitCode(), r.toString());
            assertContains(r.err(), "keel import: line 1: ", c[1]);
            assertFalse(Files.exists(dir));
        }
    }

    @Test
    void stdinImportWorksAndFieldsMayComeBeforeType() {
        Path dir = tmp.resolve("db");
        String reordered = "{\"fields\":{\"age\":4,\"name\":\"d\"},\"id\":4,\"type\":\"Person\"}";
        Cli.Result r = Cli.runWithInput(HEADER + "\n" + person(1, "a") + "\r\n" + reordered + "\n", "import",
                dir.toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertContains(r.out(), "imported 2 entities (Person 2) from stdin");
        assertEquals(List.of(1L, 4L), ids(dir));
    }

    @Test
    void aHeaderThatConflictsWithTheStoredSchemaIsExit2() {
        Path dir = tmp.resolve("db");
        EntityType other = EntityType.builder("Person").field(Field.longField("name")).build();
        try (KeelDb db = KeelDb.open(dir, KeelOptions.builder().entityType(other).build())) {
            db.execute(tx -> tx.insert("Person", java.util.Map.of("name", 1L)));
        }
        Cli.Result r = Cli.runWithInput(HEADER + "\n" + person(7, "a") + "\n", "import", dir.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertContains(r.err(), "keel import: ", "schema", "Import into a new directory");
        assertEquals(List.of(1L), ids(dir), "nothing was imported");
    }
}
