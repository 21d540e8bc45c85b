package dev.keel.server.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Index;
import dev.keel.OnDelete;
import dev.keel.server.schema.SchemaDocument.Format;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading schema documents: the contract's example, JSON and YAML, and every error with its path. */
class SchemaDocumentTest {
    private static final SchemaDocument DOC = new SchemaDocument();

    /** The example of the server contract, verbatim. */
    static final String CONTRACT_EXAMPLE = """
            types:
              - name: Company
                fields:
                  - {name: name, type: TEXT, required: true, unique: true, maxLength: 80}
              - name: Person
                renamedFrom: People          # optional
                fields:
                  - {name: email, type: TEXT, required: true, unique: true, pattern: "[^@]+@[^@]+"}
                  - {name: age, type: INT, min: 0, max: 150}
                  - {name: employer, type: REFERENCE, target: Company, onDelete: CASCADE}
                  - {name: nick, type: TEXT, minLength: 1, maxLength: 20, default: "x", renamedFrom: nickname}
                  - {name: level, type: TEXT, oneOf: [a, b]}
                indexes:
                  - {name: by_age, fields: [age]}
                  - {name: by_email_age, fields: [email, age], unique: true}
            """;

    @TempDir
    Path dir;

    @Test
    void readsTheContractExampleAsTheJavaApiDeclaresIt() {
        List<EntityType> types = DOC.read(CONTRACT_EXAMPLE, Format.YAML);
        EntityType company = EntityType.builder("Company")
                .field(Field.text("name").required().unique().maxLength(80)).build();
        EntityType person = EntityType.builder("Person").renamedFrom("People")
                .field(Field.text("email").required().unique().pattern("[^@]+@[^@]+"))
                .field(Field.intField("age").min(0).max(150))
                .field(Field.reference("employer", "Company").onDelete(OnDelete.CASCADE))
                .field(Field.text("nick").length(1, 20).defaultValue("x").renamedFrom("nickname"))
                .field(Field.text("level").oneOf("a", "b"))
                .index(Index.on("age").named("by_age"))
                .index(Index.unique("email", "age").named("by_email_age"))
                .build();
        assertEquals(List.of(company, person), types);
        assertEquals("People", types.get(1).renamedFromName());
        assertEquals("nickname", types.get(1).field("nick").orElseThrow().renamedFromName());
        // The implicit indexes are there, as keel-core adds them.
        assertEquals(List.of("by_age", "by_email_age", "unique_email", "ref_employer"),
                types.get(1).indexes().stream().map(Index::name).toList());
    }

    @Test
    void jsonAndYamlGiveTheSameTypes() {
        String json = """
                {"types":[{"name":"Company","fields":[{"name":"name","type":"TEXT","required":true,"unique":true,
                  "maxLength":80}]},
                 {"name":"Person","renamedFrom":"People","fields":[
                  {"name":"email","type":"TEXT","required":true,"unique":true,"pattern":"[^@]+@[^@]+"},
                  {"name":"age","type":"INT","min":0,"max":150},
                  {"name":"employer","type":"REFERENCE","target":"Company","onDelete":"CASCADE"},
                  {"name":"nick","type":"TEXT","minLength":1,"maxLength":20,"default":"x","renamedFrom":"nickname"},
                  {"name":"level","type":"TEXT","oneOf":["a","b"]}],
                  "indexes":[{"name":"by_age","fields":["age"]},{"name":"by_email_age","fields":["email","age"],
                  "unique":true}]}]}
                """;
        assertEquals(DOC.read(CONTRACT_EXAMPLE, Format.YAML), DOC.read(json, Format.JSON));
    }

    @Test
    void readsAnExportHeadersTypesWithNullsAndImplicitIndexesListed() {
        // What keel export writes in its header (keel-cli ExportFormat), nulls and implicit indexes included.
        String json = """
                {"types":[{"name":"Company","fields":[
                   {"name":"name","type":"TEXT","required":true,"default":null,"target":null,"unique":true,"maxLength":80}],
                  "indexes":[{"name":"unique_name","fields":["name"],"unique":true}]},
                 {"name":"Person","fields":[
                   {"name":"age","type":"INT","required":false,"default":null,"target":null,"min":0,"max":150},
                   {"name":"employer","type":"REFERENCE","required":false,"default":null,"target":"Company",
                    "onDelete":"RESTRICT"}],
                  "indexes":[{"name":"ref_employer","fields":["employer"],"unique":false}]}]}
                """;
        List<EntityType> types = DOC.read(json, Format.JSON);
        assertEquals(EntityType.builder("Company").field(Field.text("name").required().unique().maxLength(80)).build(),
                types.get(0));
        assertEquals(EntityType.builder("Person").field(Field.intField("age").min(0).max(150))
                .field(Field.reference("employer", "Company")).build(), types.get(1));
        assertEquals(List.of("unique_name"), types.get(0).indexes().stream().map(Index::name).toList());
    }

    @Test
    void everyFieldTypeReadsItsValues() {
        List<EntityType> types = DOC.read("""
                types:
                  - name: T
                    fields:
                      - {name: t, type: TEXT, default: "yes"}
                      - {name: l, type: LONG, min: -9223372036854775808, default: 5}
                      - {name: i, type: INT, max: 2147483647}
                      - {name: d, type: DOUBLE, min: "-Infinity", default: 2.5}
                      - {name: d2, type: DOUBLE, default: 3}
                      - {name: b, type: BOOLEAN, default: false}
                      - {name: ts, type: TIMESTAMP, default: 2025-01-31T12:00:00Z}
                      - {name: by, type: BYTES, default: "AAEC"}
                      - {name: r, type: REFERENCE, target: T}
                      - {name: v, type: VECTOR, default: [1, 0.5, "NaN"]}
                """, Format.YAML);
        EntityType t = types.get(0);
        assertEquals("yes", t.field("t").orElseThrow().defaultValue());
        assertEquals(Long.MIN_VALUE, t.field("l").orElseThrow().min());
        assertEquals(5L, t.field("l").orElseThrow().defaultValue());
        assertEquals(Integer.MAX_VALUE, t.field("i").orElseThrow().max());
        assertEquals(Double.NEGATIVE_INFINITY, t.field("d").orElseThrow().min());
        assertEquals(3.0, t.field("d2").orElseThrow().defaultValue());
        assertEquals(false, t.field("b").orElseThrow().defaultValue());
        assertEquals(java.time.Instant.parse("2025-01-31T12:00:00Z"), t.field("ts").orElseThrow().defaultValue());
        assertEquals(List.of(0, 1, 2), toList((byte[]) t.field("by").orElseThrow().defaultValue()));
        assertEquals(OnDelete.RESTRICT, t.field("r").orElseThrow().onDeleteAction());
        float[] v = (float[]) t.field("v").orElseThrow().defaultValue();
        assertEquals(3, v.length);
        assertEquals(0.5f, v[1]);
        assertTrue(Float.isNaN(v[2]));
        assertEquals(FieldType.VECTOR, t.field("v").orElseThrow().type());
    }

    private static List<Integer> toList(byte[] b) {
        return java.util.stream.IntStream.range(0, b.length).mapToObj(i -> (int) b[i]).toList();
    }

    // ---- errors: each with its path and what to write ----

    @Test
    void unknownKeysAreNamedWithASuggestion() {
        List<SchemaError> errors = errors("""
                types:
                  - name: A
                    feilds: []
                    fields:
                      - {name: x, type: TEXT, requird: true, enum: [a], indexes: []}
                    indexes:
                      - {fields: [x], uniqe: true}
                colour: red
                """, Format.YAML);
        assertError(errors, "types[0].feilds", "unknown key: did you mean \"fields\"?");
        assertError(errors, "types[0].fields[0].requird", "did you mean \"required\"?");
        assertError(errors, "types[0].fields[0].enum", "oneOf");
        assertError(errors, "types[0].fields[0].indexes", "belongs to an entity type");
        assertError(errors, "types[0].indexes[0].uniqe", "did you mean \"unique\"?");
        assertError(errors, "colour", "the document has the keys types");
        assertEquals(6, errors.size(), errors.toString());
    }

    @Test
    void wrongValueKindsAreNamed() {
        List<SchemaError> errors = errors("""
                {"types":[{"name":5,"fields":[
                   {"name":"a","type":"TEXT","required":"yes","unique":1,"maxLength":-1,"pattern":7},
                   {"name":"b","type":"INT","min":"0","max":1.5,"default":"x"},
                   {"name":"c","type":"TEXT","oneOf":"a"},
                   {"name":"d","type":"TIMESTAMP","default":"yesterday"},
                   {"name":"e","type":"BYTES","default":"***"},
                   {"name":"f","type":"LONG","default":99999999999999999999},
                   {"name":"g","type":"TEXT","oneOf":[1, null]},
                   "h"],
                  "indexes":{"fields":["a"]}}]}
                """, Format.JSON);
        assertError(errors, "types[0].name", "must be a string (the type's name, e.g. name: Person), was 5");
        assertError(errors, "types[0].fields[0].required", "must be true or false, was \"yes\"");
        assertError(errors, "types[0].fields[0].unique", "must be true or false, was 1");
        assertError(errors, "types[0].fields[0].maxLength", "must be a whole number from 0 to 2147483647, was -1");
        assertError(errors, "types[0].fields[0].pattern", "must be a string, was 7");
        assertError(errors, "types[0].fields[1].min", "must be a whole number from -2147483648 to 2147483647, was"
                + " \"0\" (the field's type is INT)");
        assertError(errors, "types[0].fields[1].max", "was 1.5");
        assertError(errors, "types[0].fields[1].default", "was \"x\"");
        assertError(errors, "types[0].fields[2].oneOf", "must be a list of the allowed values");
        assertError(errors, "types[0].fields[3].default", "an ISO-8601 instant string like \"2025-01-31T12:00:00Z\"");
        assertError(errors, "types[0].fields[4].default", "not valid base64");
        assertError(errors, "types[0].fields[5].default", "a whole number in the 64-bit range");
        assertError(errors, "types[0].fields[6].oneOf[0]", "must be a string, was 1 (in YAML, quote it: \"1\")");
        assertError(errors, "types[0].fields[6].oneOf[1]", "was null");
        assertError(errors, "types[0].fields[7]", "must be a field {name: ..., type: ...}, was \"h\"");
        assertError(errors, "types[0].indexes", "must be a list of indexes");
        assertEquals(16, errors.size(), errors.toString());
    }

    /**
     * Rule values are read by the same codec as entity values (FieldValues), so they are refused where
     * an entity value would be: half a surrogate pair, a number beyond the range of a double or float
     * (before, these became "?" or infinity).
     */
    @Test
    void ruleValuesAreAsStrictAsEntityValues() {
        List<SchemaError> errors = errors("""
                {"types":[{"name":"A","fields":[
                   {"name":"t","type":"TEXT","default":"a\\ud800"},
                   {"name":"d","type":"DOUBLE","max":1e400},
                   {"name":"v","type":"VECTOR","default":[1, 1e39]},
                   {"name":"w","type":"VECTOR","default":[1, true]},
                   {"name":"x","type":"TEXT","oneOf":["ok", "\\ud83d\\ude00"]}]}]}
                """, Format.JSON);
        assertError(errors, "types[0].fields[0].default", "the string has an unpaired surrogate (\\uD800) at index 1,"
                + " which is not Unicode text");
        assertError(errors, "types[0].fields[1].max", "must be a number in the range of a double, was a number"
                + " beyond the range of a double (the field's type is DOUBLE)");
        assertError(errors, "types[0].fields[2].default", "must be an array of numbers (element 1 is beyond the"
                + " range of a float), was 1.0E39");
        assertError(errors, "types[0].fields[3].default", "must be an array of numbers (element 1 is not one), was"
                + " true");
        assertEquals(4, errors.size(), errors.toString());
    }

    @Test
    void missingAndUnknownNamesTypesAndTargets() {
        List<SchemaError> errors = errors("""
                types:
                  - fields:
                      - {type: TEXT}
                      - {name: s, type: STRING}
                      - {name: p, type: text}
                      - {name: q, type: FOO}
                      - {name: r, type: REFERENCE}
                      - {name: u, type: REFERENCE, target: A, onDelete: NOTHING}
                      - {name: w, type: INT, target: A, onDelete: CASCADE}
                      - {name: x}
                  - name: B
                  - name: C
                    fields: []
                  - name: "not valid"
                    renamedFrom: "also bad"
                    fields: [{name: "1x", type: TEXT}]
                """, Format.YAML);
        assertError(errors, "types[0].name", "missing: write the type's name, e.g. name: Person");
        assertError(errors, "types[0].fields[0].name", "missing: write the field's name");
        assertError(errors, "types[0].fields[1].type", "unknown field type \"STRING\": write TEXT");
        assertError(errors, "types[0].fields[2].type", "unknown field type \"text\": write TEXT");
        assertError(errors, "types[0].fields[3].type", "unknown field type \"FOO\": write one of [TEXT, LONG");
        assertError(errors, "types[0].fields[4].target", "missing: a REFERENCE field needs target");
        assertError(errors, "types[0].fields[5].onDelete", "unknown on-delete action \"NOTHING\": write one of"
                + " [RESTRICT, CASCADE, SET_NULL]");
        assertError(errors, "types[0].fields[6].target", "only REFERENCE fields have a target");
        assertError(errors, "types[0].fields[6].onDelete", "only REFERENCE fields have onDelete");
        assertError(errors, "types[0].fields[7].type", "missing: write one of [TEXT");
        assertError(errors, "types[1].fields", "missing: a type needs at least one field");
        assertError(errors, "types[2].fields", "must be a non-empty list of fields");
        assertError(errors, "types[3].name", "entity type name 'not valid' is not valid: use a letter");
        assertError(errors, "types[3].renamedFrom", "'also bad' is not valid");
        assertError(errors, "types[3].fields[0].name", "field name '1x' is not valid");
        assertEquals(15, errors.size(), errors.toString());
        assertError(errors("types: [{name: keel_mine, fields: [{name: a, type: TEXT}]}]", Format.YAML),
                "types[0].name", "entity type name 'keel_mine' is reserved: names starting with keel_ belong to"
                        + " KeelDB's own system types");
    }

    @Test
    void rulesKeelCoreRefusesComeWithTheirPath() {
        List<SchemaError> errors = errors("""
                types:
                  - name: A
                    fields:
                      - {name: a, type: INT, min: 10, max: 5}
                      - {name: b, type: TEXT, pattern: "(unclosed"}
                      - {name: c, type: TEXT, min: 1}
                      - {name: d, type: INT, maxLength: 3}
                      - {name: e, type: TEXT, minLength: 5, maxLength: 2}
                      - {name: f, type: REFERENCE, target: A, required: true, onDelete: SET_NULL}
                      - {name: g, type: TEXT, oneOf: [a, b], default: c}
                      - {name: h, type: VECTOR, unique: true}
                      - {name: i, type: BYTES, oneOf: ["AA=="]}
                      - {name: j, type: TEXT, oneOf: []}
                      - {name: k, type: TEXT, oneOf: [a, a]}
                      - {name: l, type: INT, max: 3, default: 4}
                      - {name: m, type: TEXT, renamedFrom: "no good"}
                """, Format.YAML);
        assertError(errors, "types[0].fields[0].min", "field a (INT): min 10 is above max 5");
        assertError(errors, "types[0].fields[1].pattern", "field b (TEXT): pattern does not compile: Unclosed group");
        assertError(errors, "types[0].fields[2].min", "min/max apply to INT, LONG, DOUBLE and TIMESTAMP fields; use"
                + " length for TEXT");
        assertError(errors, "types[0].fields[3].maxLength", "length applies to TEXT, BYTES and VECTOR fields");
        assertError(errors, "types[0].fields[4].minLength", "length must be 0 <= min <= max, was 5..2");
        assertError(errors, "types[0].fields[5].onDelete", "is required, so ON DELETE SET_NULL could not clear it");
        assertError(errors, "types[0].fields[6].default", "default \"c\" breaks its own rule");
        assertError(errors, "types[0].fields[7].unique", "VECTOR fields cannot be unique");
        assertError(errors, "types[0].fields[8].oneOf", "oneOf does not apply to BYTES fields");
        assertError(errors, "types[0].fields[9].oneOf", "oneOf needs at least one allowed value");
        assertError(errors, "types[0].fields[10].oneOf", "oneOf lists \"a\" twice");
        assertError(errors, "types[0].fields[11].default", "default 4 breaks its own rule");
        assertError(errors, "types[0].fields[12].renamedFrom", "'no good' is not valid");
        assertEquals(13, errors.size(), errors.toString());
    }

    @Test
    void indexErrorsAndDuplicatesComeWithTheirPath() {
        List<SchemaError> errors = errors("""
                types:
                  - name: A
                    fields:
                      - {name: a, type: INT}
                      - {name: a, type: TEXT}
                      - {name: v, type: VECTOR}
                  - name: B
                    fields:
                      - {name: a, type: INT, unique: true}
                      - {name: v, type: VECTOR}
                    indexes:
                      - {fields: [nope]}
                      - {fields: [v]}
                      - {name: unique_a, fields: [a]}
                      - {name: "bad name", fields: [a]}
                      - {fields: [a, a]}
                      - {fields: []}
                      - {fields: [a, 3]}
                      - {name: x}
                      - "by_a"
                  - name: A
                    fields: [{name: z, type: TEXT}]
                """, Format.YAML);
        assertError(errors, "types[0].fields[1].name", "field a is declared twice (also fields[0])");
        assertError(errors, "types[1].indexes[3].name", "index name 'bad name' is not valid");
        assertError(errors, "types[1].indexes[4].fields", "index on [a, a] names a field twice");
        assertError(errors, "types[1].indexes[5].fields", "must be a non-empty list of field names");
        assertError(errors, "types[1].indexes[6].fields[1]", "must be a field name, was 3");
        assertError(errors, "types[1].indexes[7].fields", "missing: list the indexed fields");
        assertError(errors, "types[1].indexes[8]", "must be an index {fields: [...]}");
        assertError(errors, "types[2].name", "type A is declared twice (also types[0]): declare each type once");
        assertEquals(8, errors.size(), errors.toString());

        // Once the shapes are right, the indexes keel-core refuses are named one by one.
        errors = errors("""
                types:
                  - name: B
                    fields:
                      - {name: a, type: INT, unique: true}
                      - {name: v, type: VECTOR}
                    indexes:
                      - {fields: [nope]}
                      - {fields: [v]}
                      - {name: unique_a, fields: [a]}
                      - {name: by_a, fields: [a]}
                      - {name: by_a, fields: [a], unique: true}
                """, Format.YAML);
        assertError(errors, "types[0].indexes[0]", "names field nope, which the type does not declare");
        assertError(errors, "types[0].indexes[1]", "names the VECTOR field v; vectors cannot be indexed");
        assertError(errors, "types[0].indexes[2]", "has two indexes named unique_a");
        assertError(errors, "types[0].indexes[4]", "has two indexes named by_a");
        assertEquals(4, errors.size(), errors.toString());
    }

    @Test
    void malformedDocumentsNameWhereTheParserStopped() {
        SchemaDocumentException e = assertThrows(SchemaDocumentException.class, () -> DOC.read("""
                {"types":[{"name":"A","fields":[{"name":"a","type":"TEXT",}]}]}
                """, Format.JSON));
        assertEquals(1, e.errors().size());
        // The parser stopped after the member "type" of the first field.
        assertEquals("types[0].fields[0].type", e.errors().get(0).path(), e.getMessage());
        assertTrue(e.errors().get(0).message().startsWith("malformed JSON (line 1, column "), e.getMessage());

        e = assertThrows(SchemaDocumentException.class, () -> DOC.read("""
                types:
                  - name: A
                    fields: [{name: a, type: TEXT
                """, Format.YAML));
        assertTrue(e.errors().get(0).message().startsWith("malformed YAML (line 3, column "), e.getMessage());
        assertTrue(e.errors().get(0).message().contains("expected ',' or '}', but got <stream end>, while parsing a"
                + " flow mapping from line 3"), e.getMessage());
        assertTrue(e.errors().get(0).path().startsWith("types[0].fields"), e.getMessage());

        assertError(errors("{\"types\":[],\"types\":[]}", Format.JSON), "types", "key \"types\" is written twice");
        assertError(errors("types: [{name: A, name: B, fields: []}]", Format.YAML), "types[0].name",
                "key \"name\" is written twice: write each key once");
        assertError(errors("types: []\n---\ntypes: []\n", Format.YAML), "", "there is something after the document"
                + " (line 3, column 1) (a second YAML document after ---): send one document");
        assertError(errors("{\"types\":[]} {}", Format.JSON), "", "(a second JSON value)");
        assertError(errors("", Format.YAML), "", "the document is empty: write \"types:\"");
        assertError(errors("[]", Format.JSON), "", "must be an object with the key \"types\"");
        assertError(errors("{}", Format.JSON), "types", "missing: write \"types:\"");
        assertError(errors("types: {name: A}", Format.YAML), "types", "must be a list of entity types, was an object");
        assertError(errors("types: [5]", Format.YAML), "types[0]", "must be an entity type {name: ..., fields: [...]}");
    }

    @Test
    void theMessageListsEveryErrorWithItsPath() {
        SchemaDocumentException e = assertThrows(SchemaDocumentException.class, () -> DOC.read("""
                types:
                  - name: A
                    fields: [{name: a, type: INT, min: x}, {name: b, type: BOOL}]
                """, Format.YAML));
        assertEquals("the schema document is not a valid schema document (2 errors): types[0].fields[0].min: must be"
                + " a whole number from -2147483648 to 2147483647, was \"x\" (the field's type is INT);"
                + " types[0].fields[1].type: unknown field type \"BOOL\": write BOOLEAN (field types are [TEXT, LONG,"
                + " DOUBLE, BOOLEAN, TIMESTAMP, BYTES, REFERENCE, VECTOR, INT])", e.getMessage());
    }

    @Test
    void anEmptyListOfTypesIsValid() {
        assertEquals(List.of(), DOC.read("types: []", Format.YAML));
    }

    @Test
    void formatByFileExtensionAndMediaType() throws Exception {
        assertEquals(Format.JSON, Format.ofFile(Path.of("s.json")));
        assertEquals(Format.YAML, Format.ofFile(Path.of("s.YAML")));
        assertEquals(Format.YAML, Format.ofFile(Path.of("dir/s.yml")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Format.ofFile(Path.of("s.txt")));
        assertTrue(e.getMessage().contains("name it *.json, *.yaml or *.yml"), e.getMessage());
        assertEquals(Format.JSON, Format.ofMediaType("application/json; charset=utf-8").orElseThrow());
        assertEquals(Format.YAML, Format.ofMediaType("application/yaml").orElseThrow());
        assertEquals(Format.YAML, Format.ofMediaType("application/x-yaml").orElseThrow());
        assertEquals(Format.YAML, Format.ofMediaType("Text/YAML").orElseThrow());
        assertTrue(Format.ofMediaType("text/plain").isEmpty());
        assertTrue(Format.ofMediaType(null).isEmpty());

        Path json = dir.resolve("s.json");
        Files.writeString(json, "{\"types\":[{\"name\":\"A\",\"fields\":[{\"name\":\"a\",\"type\":\"TEXT\"}]}]}");
        assertEquals("A", DOC.readFile(json).get(0).name());
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "types: [{name: A, fields: [{name: a, type: TXT}]}]");
        e = assertThrows(IllegalArgumentException.class, () -> SchemaDocument.load(bad));
        assertTrue(e.getMessage().startsWith("schema file " + bad.toAbsolutePath() + " is not a valid schema document"
                + " (1 error): types[0].fields[0].type: unknown field type \"TXT\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SchemaDocument.load(dir.resolve("missing.yaml")));
        assertTrue(e.getMessage().startsWith("schema file " + dir.resolve("missing.yaml").toAbsolutePath()
                + " does not exist"), e.getMessage());
        assertEquals(List.of(), SchemaDocument.load(null));
    }

    @Test
    void theJsonLimitsApplyToYamlToo() {
        SchemaDocument strict = new SchemaDocument(com.fasterxml.jackson.databind.json.JsonMapper.builder(
                com.fasterxml.jackson.core.JsonFactory.builder().streamReadConstraints(
                        com.fasterxml.jackson.core.StreamReadConstraints.builder().maxNestingDepth(4).build()).build())
                .build());
        String deep = "types: [{name: A, fields: [{name: v, type: VECTOR, default: [[[1]]]}]}]";
        SchemaDocumentException e = assertThrows(SchemaDocumentException.class, () -> strict.read(deep, Format.YAML));
        assertTrue(e.getMessage().contains("nesting depth"), e.getMessage());
    }

    @Test
    void yamlAliasesAreRefusedNotReadAsTheAnchorsName() {
        // Jackson's YAML parser hands an alias over as the anchor's name: "default: *n" would read as "n".
        List<SchemaError> errors = errors("""
                types:
                  - name: &n T
                    fields: [{name: a, type: TEXT, default: *n}]
                """, Format.YAML);
        assertError(errors, "types[0].fields[0].default", "alias");
        errors = errors("""
                types:
                  - &t {name: T, fields: [{name: a, type: TEXT}]}
                  - *t
                """, Format.YAML);
        assertError(errors, "types[1]", "alias");
        // Anchors without aliases change nothing.
        assertEquals("T", DOC.read("types: [&t {name: T, fields: [{name: a, type: TEXT}]}]", Format.YAML).get(0).name());
    }

    static List<SchemaError> errors(String document, Format format) {
        return assertThrows(SchemaDocumentException.class, () -> DOC.read(document, format)).errors();
    }

    static void assertError(List<SchemaError> errors, String path, String messagePart) {
        assertTrue(errors.stream().anyMatch(e -> e.path().equals(path) && e.message().contains(messagePart)),
                () -> "no error at " + path + " containing \"" + messagePart + "\" in:\n" + errors.stream()
                        .map(SchemaError::toString).collect(Collectors.joining("\n")));
    }
}
