package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.Index;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.OnDelete;
import dev.keel.RecoveryMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The export header carries every field rule and index, and import rebuilds entity types equal to
 * the exported ones; a header whose rules cannot be declared is refused before anything is created,
 * naming line, type, field and the problem; a value that breaks a rule stops the import at its line.
 */
class ExportImportRulesTest {
    /** Every rule, declared and implicit indexes, and an implicit index suppressed by a declared one. */
    static final EntityType COMPANY = EntityType.builder("Company")
            .field(Field.text("name").required().unique().length(2, 40).pattern("[A-Z][A-Za-z0-9 .&-]*"))
            .field(Field.text("sector").oneOf("tech", "retail", "energy").defaultValue("tech"))
            .field(Field.intField("staff").min(1).max(1_000_000))
            .field(Field.longField("revenue").min(0L))
            .field(Field.doubleField("rating").min(0.0).max(5.0).defaultValue(2.5))
            .field(Field.timestamp("founded").min(Instant.parse("1800-01-01T00:00:00Z"))
                    .max(Instant.parse("2100-01-01T00:00:00.5Z")))
            .field(Field.bytes("logo").maxLength(1024))
            .field(Field.vector("embedding").length(4, 4))
            .field(Field.bool("listed"))
            .field(Field.intField("tier").oneOf(1, 2, 3))
            .field(Field.reference("parent", "Company").onDelete(OnDelete.SET_NULL))
            .field(Field.longField("code").unique())
            .index(Index.on("sector", "staff"))
            .index(Index.unique("sector", "name").named("sector_name"))
            .index(Index.unique("code").named("by_code"))
            .build();
    static final EntityType PERSON = EntityType.builder("Person")
            .field(Field.text("name").required().maxLength(100))
            .field(Field.reference("employer", "Company").required().onDelete(OnDelete.CASCADE))
            .field(Field.reference("mentor", "Person"))
            .field(Field.text("email").unique().pattern("[^@ ]+@[^@ ]+"))
            .index(Index.on("employer", "name"))
            .build();
    private static final EntityType PLAIN = EntityType.builder("Plain").field(Field.text("x")).build();

    @TempDir
    Path tmp;

    @Test
    void rulesAndIndexesSurviveExportAndImport() throws IOException, BadInput {
        assertEquals(List.of("by_sector_staff", "sector_name", "by_code", "unique_name", "ref_parent"),
                COMPANY.indexes().stream().map(Index::name).toList(), "declared, then implicit (code has by_code)");
        assertEquals(List.of("by_employer_name", "unique_email", "ref_mentor"),
                PERSON.indexes().stream().map(Index::name).toList(), "employer's index is declared, not implicit");
        Path source = tmp.resolve("source");
        try (KeelDb db = KeelDb.open(source, KeelOptions.builder().entityTypes(PERSON, COMPANY, PLAIN).build())) {
            db.execute(tx -> {
                tx.insert("Company", 1, Map.of("name", "Initech", "staff", 12, "tier", 2, "code", 7L,
                        "founded", Instant.parse("1999-02-19T00:00:00Z"), "embedding", new float[] {1, 2, 3, 4}));
                tx.insert("Company", 2, Map.of("name", "Umbrella Corp.", "sector", "energy", "parent", 1L));
                tx.insert("Person", 10, Map.of("name", "Peter", "employer", 1L, "email", "peter@initech.example"));
                tx.insert("Person", 11, Map.of("name", "Milton", "employer", 1L, "mentor", 10L));
                tx.insert("Plain", Map.of("x", "y"));
            });
        }
        Path file = tmp.resolve("export.jsonl");
        Cli.Result export = Cli.run("export", source.toString(), "-o", file.toString());
        assertEquals(0, export.exitCode(), export.toString());

        String headerLine = Files.readAllLines(file, StandardCharsets.UTF_8).get(0);
        JsonNode company = Json.LINES.readTree(headerLine).get("types").get(1);
        assertEquals("Company", company.get("name").asText());
        JsonNode name = company.get("fields").get(0);
        assertEquals(true, name.get("unique").asBoolean());
        assertEquals(2, name.get("minLength").asInt());
        assertEquals(40, name.get("maxLength").asInt());
        assertEquals("[A-Z][A-Za-z0-9 .&-]*", name.get("pattern").asText());
        assertFalse(name.has("min") || name.has("oneOf") || name.has("onDelete"), "only the rules a field has");
        assertEquals("2100-01-01T00:00:00.500Z", company.get("fields").get(5).get("max").asText());
        assertEquals("[1,2,3]", company.get("fields").get(9).get("oneOf").toString());
        assertEquals("SET_NULL", company.get("fields").get(10).get("onDelete").asText());
        assertEquals("{\"name\":\"sector_name\",\"fields\":[\"sector\",\"name\"],\"unique\":true}",
                company.get("indexes").get(1).toString());
        assertEquals(5, company.get("indexes").size(), "declared and implicit indexes");

        assertEquals(List.of(PERSON, COMPANY, PLAIN), new ImportReader().header(headerLine).types(),
                "the header alone rebuilds equal types");
        Path target = tmp.resolve("target");
        Cli.Result imported = Cli.run("import", target.toString(), "--input", file.toString());
        assertEquals(0, imported.exitCode(), imported.toString());
        try (KeelDb db = KeelDb.open(target, KeelOptions.builder().recoveryMode(RecoveryMode.READ_ONLY).build())) {
            assertEquals(List.of(PERSON, COMPANY, PLAIN), db.schema(), "the imported database stores equal types");
        }
        ExportImportRoundTripTest.assertSameEntities(source, target);
        // The types as declared in code open the imported database: no schema mismatch.
        try (KeelDb db = KeelDb.open(target, KeelOptions.builder().entityTypes(PERSON, COMPANY, PLAIN).build())) {
            assertEquals(2, db.snapshot().count("Person"));
        }
    }

    @Test
    void aFormat1HeaderWithoutRuleKeysMeansNoRules() throws BadInput {
        String v1 = "{\"keel\":\"export\",\"format\":1,\"lsn\":3,\"types\":[{\"name\":\"Company\",\"fields\":["
                + "{\"name\":\"name\",\"type\":\"TEXT\",\"required\":true,\"default\":null,\"target\":null}]},"
                + "{\"name\":\"Person\",\"fields\":[{\"name\":\"score\",\"type\":\"DOUBLE\",\"required\":false,"
                + "\"default\":0.5,\"target\":null},{\"name\":\"employer\",\"type\":\"REFERENCE\",\"required\":false,"
                + "\"default\":null,\"target\":\"Company\"}]}]}";
        List<EntityType> expected = List.of(
                EntityType.builder("Company").field(Field.text("name").required()).build(),
                EntityType.builder("Person").field(Field.doubleField("score").defaultValue(0.5))
                        .field(Field.reference("employer", "Company")).build());
        List<EntityType> types = new ImportReader().header(v1).types();
        assertEquals(expected, types);
        assertEquals(OnDelete.RESTRICT, types.get(1).field("employer").orElseThrow().onDeleteAction());
        assertEquals(List.of("ref_employer"), types.get(1).indexes().stream().map(Index::name).toList());
    }

    private static final String BAD_HEADER = "{\"keel\":\"export\",\"format\":2,\"lsn\":1,\"types\":[{\"name\":"
            + "\"Person\",\"fields\":[{\"name\":\"name\",\"type\":\"TEXT\",\"required\":true},%s],\"indexes\":%s}]}";

    static Stream<Arguments> badRules() {
        String age = "{\"name\":\"age\",\"type\":\"INT\"}";
        return Stream.of(
            Arguments.of("{\"name\":\"code\",\"type\":\"TEXT\",\"min\":\"a\"}", "[]", "header type Person: field code"
                    + " (TEXT): min/max apply to INT, LONG, DOUBLE and TIMESTAMP fields; use length for TEXT"),
            Arguments.of("{\"name\":\"code\",\"type\":\"TEXT\",\"max\":5}", "[]",
                    "header type Person: field code (TEXT): min/max apply to INT, LONG, DOUBLE and TIMESTAMP"),
            Arguments.of("{\"name\":\"code\",\"type\":\"TEXT\",\"pattern\":\"(ab\"}", "[]",
                    "header type Person: field code (TEXT): pattern does not compile: Unclosed group"),
            Arguments.of("{\"name\":\"boss\",\"type\":\"REFERENCE\",\"target\":\"Person\",\"onDelete\":\"NULLIFY\"}",
                    "[]", "header type Person field boss: unknown on-delete action \"NULLIFY\" (one of [RESTRICT,"
                    + " CASCADE, SET_NULL])"),
            Arguments.of("{\"name\":\"age\",\"type\":\"INT\",\"onDelete\":\"CASCADE\"}", "[]", "header type Person:"
                    + " field age (INT): only REFERENCE fields have a target type and an on-delete action"),
            Arguments.of("{\"name\":\"boss\",\"type\":\"REFERENCE\",\"target\":\"Person\",\"required\":true,"
                    + "\"onDelete\":\"SET_NULL\"}", "[]", "header type Person: field boss (REFERENCE) is required, so"
                    + " ON DELETE SET_NULL could not clear it"),
            Arguments.of("{\"name\":\"age\",\"type\":\"INT\",\"min\":10,\"max\":5}", "[]",
                    "header type Person: field age (INT): min 10 is above max 5"),
            Arguments.of("{\"name\":\"age\",\"type\":\"INT\",\"min\":\"ten\"}", "[]",
                    "header type Person field age min: expected a whole number in the 32-bit range, got \"ten\""),
            Arguments.of("{\"name\":\"age\",\"type\":\"INT\",\"maxLength\":3}", "[]",
                    "header type Person: field age (INT): length applies to TEXT, BYTES and VECTOR fields"),
            Arguments.of("{\"name\":\"code\",\"type\":\"TEXT\",\"maxLength\":-1}", "[]",
                    "header type Person field code: \"maxLength\" must be a whole number from 0 to 2147483647, was -1"),
            Arguments.of("{\"name\":\"code\",\"type\":\"TEXT\",\"minLength\":5,\"maxLength\":2}", "[]",
                    "header type Person: field code (TEXT): length must be 0 <= min <= max, was 5..2"),
            Arguments.of("{\"name\":\"photo\",\"type\":\"BYTES\",\"oneOf\":[\"AA==\"]}", "[]",
                    "header type Person: field photo (BYTES): oneOf does not apply to BYTES fields"),
            Arguments.of("{\"name\":\"code\",\"type\":\"TEXT\",\"oneOf\":[]}", "[]",
                    "header type Person: field code (TEXT): oneOf needs at least one allowed value"),
            Arguments.of("{\"name\":\"code\",\"type\":\"TEXT\",\"oneOf\":\"a\"}", "[]",
                    "header type Person field code: \"oneOf\" must be an array of values, was \"a\""),
            Arguments.of("{\"name\":\"age\",\"type\":\"INT\",\"min\":0,\"default\":-1}", "[]",
                    "header type Person: field age (INT): default -1 breaks its own rule: min: must be at least 0"),
            Arguments.of("{\"name\":\"v\",\"type\":\"VECTOR\",\"unique\":true}", "[]",
                    "header type Person: field v (VECTOR): VECTOR fields cannot be unique"),
            Arguments.of("{\"name\":\"code\",\"type\":\"TEXT\",\"unique\":\"yes\"}", "[]",
                    "header type Person field code: \"unique\" must be true or false, was \"yes\""),
            Arguments.of("{\"name\":\"code\",\"type\":\"TEXT\",\"regex\":\"a\"}", "[]",
                    "header type Person field code: unknown key \"regex\""),
            Arguments.of(age, "[{\"name\":\"by_x\",\"fields\":[\"x\"],\"unique\":false}]", "header type Person: index"
                    + " by_x of entity type Person names field x, which the type does not declare"),
            Arguments.of(age, "[{\"name\":\"1bad\",\"fields\":[\"age\"]}]",
                    "header type Person index 1bad: index name '1bad' is not valid"),
            Arguments.of(age, "[{\"fields\":[]}]", "header type Person index: an index needs at least one field"),
            Arguments.of(age, "[{\"fields\":[1]}]", "header type Person index: \"fields\" must be an array of field"
                    + " names, was [1]"),
            Arguments.of(age, "[{\"name\":\"i\",\"fields\":[\"age\"]},{\"name\":\"i\",\"fields\":[\"name\"]}]",
                    "header type Person: entity type Person has two indexes named i"),
            Arguments.of(age, "{}", "header type Person: \"indexes\" must be an array"));
    }

    @ParameterizedTest
    @MethodSource("badRules")
    void aHeaderWithABadRuleIsRefusedAndNothingIsImported(String field, String indexes, String message) {
        Path dir = tmp.resolve("db");
        String header = String.format(BAD_HEADER, field, indexes);
        Cli.Result r = Cli.runWithInput(header + "\n{\"type\":\"Person\",\"id\":1,\"fields\":{\"name\":\"a\"}}\n",
                "import", dir.toString());
        assertEquals(1, r.exitCode(), r.toString());
        assertContains(r.err(), "keel import: line 1: " + message, "nothing was committed");
        assertEquals(2, r.err().strip().split("\n").length, "one line for the problem, one for what to do: " + r);
        assertFalse(Files.exists(dir), "no database is created for a bad header");
    }

    private static final String RULES_HEADER = "{\"keel\":\"export\",\"format\":2,\"lsn\":1,\"types\":[{\"name\":"
            + "\"Person\",\"fields\":[{\"name\":\"name\",\"type\":\"TEXT\",\"required\":true,\"maxLength\":5},"
            + "{\"name\":\"age\",\"type\":\"INT\",\"min\":0,\"max\":150},"
            + "{\"name\":\"code\",\"type\":\"TEXT\",\"pattern\":\"[A-Z]{3}\"},"
            + "{\"name\":\"status\",\"type\":\"TEXT\",\"oneOf\":[\"active\",\"gone\"]}]}]}";

    private static String person(long id, String fields) {
        return "{\"type\":\"Person\",\"id\":" + id + ",\"fields\":{\"name\":\"p" + id + "\"" + fields + "}}";
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "max     | ,\"age\":200         | Person#3: Person.age = 200 breaks rule 'max': max: must be at most 150",
        "min     | ,\"age\":-1          | Person#3: Person.age = -1 breaks rule 'min'",
        "pattern | ,\"code\":\"abc\"    | Person#3: Person.code = \"abc\" breaks rule 'pattern': pattern: must match",
        "oneOf   | ,\"status\":\"new\"  | Person#3: Person.status = \"new\" breaks rule 'oneOf'",
        "length  | ,\"name\":\"toolong\" | breaks rule 'length': length: must be 0 to 5 code points long, is 7"})
    void aValueThatBreaksARuleStopsTheImportAtItsLine(String rule, String fields, String message) throws IOException {
        Path dir = tmp.resolve("db");
        String bad = fields.strip().startsWith(",\"name\"") ? "{\"type\":\"Person\",\"id\":3,\"fields\":{"
                + fields.strip().substring(1) + "}}" : person(3, fields.strip());
        Path in = Files.write(tmp.resolve("in.jsonl"), List.of(RULES_HEADER, person(1, ",\"age\":150,\"code\":\"ABC\""),
                person(2, ",\"age\":0,\"status\":\"gone\""), bad, person(4, "")));
        Cli.Result r = Cli.run("import", dir.toString(), "--input", in.toString(), "--batch-size", "2");
        assertEquals(1, r.exitCode(), rule + ": " + r);
        assertContains(r.err(), "keel import: line 4: ", message.strip(), "batches up to line 3 were committed");
        try (KeelDb db = KeelDb.open(dir, KeelOptions.builder().recoveryMode(RecoveryMode.READ_ONLY).build())) {
            assertEquals(List.of(1L, 2L), db.snapshot().scan("Person").map(e -> e.id()).collect(Collectors.toList()));
        }
        assertTrue(r.out().isEmpty(), r.out());
    }
}
