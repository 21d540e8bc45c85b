package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.OnDelete;
import dev.keel.RecoveryMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Import inserts every entity after the entities it refers to: export writes referenced types
 * first, and an optional reference to an entity that is not there yet (a self-reference by a higher
 * id, a cycle between types, lines in another order) is left out of the insert and set in a second
 * pass after the last line. The count of such references in the summary shows exactly which were
 * deferred.
 */
class ImportReferenceOrderTest {
    static final EntityType NODE = EntityType.builder("Node")
            .field(Field.text("label").required())
            .field(Field.reference("parent", "Node").onDelete(OnDelete.CASCADE))
            .field(Field.reference("next", "Node").onDelete(OnDelete.SET_NULL))
            .build();
    /** Member and Team refer to each other; Member's reference is required, so Team's lines go first. */
    static final EntityType MEMBER = EntityType.builder("Member").field(Field.text("name").required())
            .field(Field.reference("team", "Team").required()).build();
    static final EntityType TEAM = EntityType.builder("Team").field(Field.text("name").required())
            .field(Field.reference("lead", "Member")).build();
    /** Declared before the type it refers to. */
    static final EntityType PERSON = EntityType.builder("Person").field(Field.text("name"))
            .field(Field.reference("employer", "Company")).build();
    static final EntityType COMPANY = EntityType.builder("Company").field(Field.text("name")).build();

    @TempDir
    Path tmp;

    @Test
    void selfReferencesToLaterEntitiesAreSetInASecondPass() throws IOException {
        Path source = tmp.resolve("source");
        try (KeelDb db = KeelDb.open(source, KeelOptions.builder().entityType(NODE).build())) {
            db.execute(tx -> {
                for (int i = 1; i <= 50; i++) {
                    tx.insert("Node", i, Map.of("label", "n" + i));
                }
            });
            db.execute(tx -> {
                for (long i = 1; i <= 50; i++) {
                    Map<String, Object> refs = new HashMap<>();
                    refs.put("parent", i == 1 ? 50L : i / 2); // backwards, except node 1's
                    // forwards; node 25 is its own next
                    refs.put("next", i == 25 ? Long.valueOf(25) : i < 50 ? Long.valueOf(i + 1) : null);
                    tx.update("Node", i, refs);
                }
            });
        }
        Path target = roundTrip(source, "7");
        Cli.Result r = lastImport;
        assertContains(r.out(), "imported 50 entities (Node 50)", "; 50 references to later lines set in a second"
                + " pass");
        ExportImportRoundTripTest.assertSameEntities(source, target);
        try (KeelDb db = readOnly(target)) {
            assertEquals(25L, db.snapshot().get("Node", 25).orElseThrow().values().get("next"));
            assertEquals(50L, db.snapshot().get("Node", 1).orElseThrow().values().get("parent"));
        }
    }

    @Test
    void aCycleBetweenTwoTypesImportsAndReferencedTypesComeFirst() throws IOException {
        Path source = tmp.resolve("source");
        try (KeelDb db = KeelDb.open(source, KeelOptions.builder().entityTypes(MEMBER, TEAM, PERSON, COMPANY)
                .build())) {
            db.execute(tx -> {
                for (long t = 1; t <= 4; t++) {
                    tx.insert("Team", t, Map.of("name", "team" + t));
                }
                for (long m = 1; m <= 12; m++) {
                    tx.insert("Member", m, Map.of("name", "m" + m, "team", 1 + (m - 1) / 3));
                }
                for (long t = 1; t <= 3; t++) {
                    tx.update("Team", t, Map.of("lead", 3 * t)); // team 4 has no lead
                }
                tx.insert("Company", 1, Map.of("name", "Initech"));
                tx.insert("Person", 1, Map.of("name", "Peter", "employer", 1L));
                tx.insert("Person", 2, Map.of("name", "Bob"));
            });
        }
        Path target = roundTrip(source, "5");
        assertContains(lastImport.out(), "imported 19 entities (Member 12, Team 4, Person 2, Company 1)",
                "; 3 references to later lines set in a second pass");
        ExportImportRoundTripTest.assertSameEntities(source, target);

        List<String> order = new ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve("export.jsonl"), StandardCharsets.UTF_8).subList(1, 20)) {
            String type = Json.LINES.readTree(line).get("type").asText();
            if (order.isEmpty() || !order.get(order.size() - 1).equals(type)) {
                order.add(type);
            }
        }
        assertEquals(List.of("Company", "Person", "Team", "Member"), order, "targets first; in the cycle, the type"
                + " whose reference is optional");
        JsonNode header = Json.LINES.readTree(Files.readAllLines(tmp.resolve("export.jsonl")).get(0));
        assertEquals("Member", header.get("types").get(0).get("name").asText(), "the header keeps schema order");
    }

    @Test
    void lineOrderPutsReferencedTypesFirstAndStaysInSchemaOrderOtherwise() {
        assertEquals(List.of(NODE, COMPANY, PERSON, TEAM, MEMBER),
                ExportFormat.lineOrder(List.of(PERSON, MEMBER, NODE, TEAM, COMPANY)), "Person waits for Company;"
                + " Team goes before Member, whose reference to it is required");
        assertEquals(List.of(NODE, COMPANY), ExportFormat.lineOrder(List.of(NODE, COMPANY)));
        EntityType a = EntityType.builder("A").field(Field.reference("b", "B")).build();
        EntityType b = EntityType.builder("B").field(Field.reference("a", "A")).build();
        assertEquals(List.of(a, b), ExportFormat.lineOrder(List.of(a, b)), "an optional cycle: schema order");
    }

    private static final String PEOPLE_HEADER = "{\"keel\":\"export\",\"format\":2,\"types\":[{\"name\":\"Company\","
            + "\"fields\":[{\"name\":\"name\",\"type\":\"TEXT\"}]},{\"name\":\"Person\",\"fields\":[{\"name\":\"name\","
            + "\"type\":\"TEXT\"},{\"name\":\"employer\",\"type\":\"REFERENCE\",\"target\":\"Company\"}]}]}";

    private static String person(long id, long employer) {
        return "{\"type\":\"Person\",\"id\":" + id + ",\"fields\":{\"employer\":" + employer + "}}";
    }

    @Test
    void linesInAnotherOrderImportToo() {
        Path dir = tmp.resolve("db");
        String input = String.join("\n", PEOPLE_HEADER, person(1, 2), person(2, 1), person(3, 1),
                "{\"type\":\"Company\",\"id\":1,\"fields\":{\"name\":\"a\"}}",
                "{\"type\":\"Company\",\"id\":2,\"fields\":{\"name\":\"b\"}}", person(4, 2)) + "\n";
        Cli.Result r = Cli.runWithInput(input, "import", dir.toString(), "--batch-size", "2");
        assertEquals(0, r.exitCode(), r.toString());
        assertContains(r.out(), "imported 6 entities (Company 2, Person 4)", "; 3 references to later lines set in a"
                + " second pass");
        try (KeelDb db = readOnly(dir)) {
            assertEquals(List.of(2L, 1L, 1L, 2L), db.snapshot().scan("Person").map(e -> e.values().get("employer"))
                    .toList());
        }
    }

    @Test
    void aBadLineAfterCommittedDeferredReferencesSaysToStartOver() {
        Path dir = tmp.resolve("db");
        String input = String.join("\n", PEOPLE_HEADER, person(1, 1), person(2, 1), person(3, 1),
                "{\"type\":\"Person\",\"id\":4,\"fields\":{\"height\":2}}",
                "{\"type\":\"Company\",\"id\":1,\"fields\":{\"name\":\"a\"}}") + "\n";
        Cli.Result r = Cli.runWithInput(input, "import", dir.toString(), "--batch-size", "2");
        assertEquals(1, r.exitCode(), r.toString());
        assertContains(r.err(), "keel import: line 5: unknown field \"height\"", "batches up to line 3 were committed"
                + " (2 entities: Company 0, Person 2), but 2 of their references point to later lines",
                "import the whole input again into an empty directory");
        assertFalse(r.err().contains("lines 5 onwards"), r.err());
    }

    @Test
    void aDeferredReferenceThatBreaksARuleFailsTheSecondPassNamingItsLine() {
        Path dir = tmp.resolve("db");
        String header = PEOPLE_HEADER.replace("\"target\":\"Company\"", "\"target\":\"Company\",\"oneOf\":[1,3]");
        String input = String.join("\n", header, person(1, 3), person(2, 1), person(3, 2),
                "{\"type\":\"Company\",\"id\":1,\"fields\":{\"name\":\"a\"}}",
                "{\"type\":\"Company\",\"id\":2,\"fields\":{\"name\":\"b\"}}",
                "{\"type\":\"Company\",\"id\":3,\"fields\":{\"name\":\"c\"}}") + "\n";
        Cli.Result r = Cli.runWithInput(input, "import", dir.toString(), "--batch-size", "1");
        assertEquals(1, r.exitCode(), r.toString());
        assertContains(r.err(), "keel import: line 4: Person#3: Person.employer = 2 breaks rule 'oneOf'",
                "every line was read and its entities committed (6 entities: Company 3, Person 3); of the 3"
                + " references to later lines, which are set after the last line, 2 were set and the rest are not",
                "fix line 4 and import the whole input again into an empty directory");
        try (KeelDb db = readOnly(dir)) {
            assertEquals(3L, db.snapshot().get("Person", 1).orElseThrow().values().get("employer"));
            assertFalse(db.snapshot().get("Person", 3).orElseThrow().values().containsKey("employer"));
        }
    }

    private Cli.Result lastImport;

    /** Exports {@code source} to export.jsonl and imports it into a new directory with {@code batchSize}. */
    private Path roundTrip(Path source, String batchSize) {
        Path file = tmp.resolve("export.jsonl");
        Cli.Result export = Cli.run("export", source.toString(), "-o", file.toString());
        assertEquals(0, export.exitCode(), export.toString());
        Path target = tmp.resolve("target");
        lastImport = Cli.run("import", target.toString(), "--input", file.toString(), "--batch-size", batchSize);
        assertEquals(0, lastImport.exitCode(), lastImport.toString());
        return target;
    }

    private static KeelDb readOnly(Path dir) {
        return KeelDb.open(dir, KeelOptions.builder().recoveryMode(RecoveryMode.READ_ONLY).build());
    }

}
