package dev.keel.server.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.KeelDb;
import dev.keel.server.Problems;
import dev.keel.server.ServerFixture;
import dev.keel.server.schema.SchemaDocument.Format;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET and PUT /v1/schema over real HTTP. */
class SchemaRoutesTest {
    static final String V1 = """
            types:
              - name: Company
                fields:
                  - {name: name, type: TEXT, required: true, unique: true}
              - name: Person
                fields:
                  - {name: email, type: TEXT, required: true, unique: true}
                  - {name: age, type: INT, min: 0}
                  - {name: nick, type: TEXT}
                  - {name: employer, type: REFERENCE, target: Company}
            """;

    @TempDir
    Path dir;
    ServerFixture server;

    @BeforeEach
    void start() {
        server = ServerFixture.start(dir.resolve("db"), b -> b).awaitReady();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void getAnswersTheDocumentOfTheOpenDatabase() {
        HttpResponse<String> r = server.get("/v1/schema");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.toString());
        assertEquals("{\"types\":[]}", ServerFixture.json(r).toString());

        assertEquals(200, putYaml(V1).statusCode());
        List<EntityType> served = new SchemaDocument().read(server.get("/v1/schema").body(), Format.JSON);
        assertEquals(new SchemaDocument().read(V1, Format.YAML), served);
        assertEquals(served, server.server().database().withDatabase(db -> db.schema()));
    }

    @Test
    void putCreatesTypesAndAnswersChangesAndTheNewSchema() {
        HttpResponse<String> r = putYaml(V1);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = ServerFixture.json(r);
        assertEquals(List.of("add type Company", "add type Person"), strings(body.get("changes")));
        assertEquals(new SchemaDocument().read(V1, Format.YAML), new SchemaDocument().read(body.get("schema").toString(),
                Format.JSON));

        // The same document again changes nothing, and does not reopen the database.
        KeelDb open = database();
        r = putYaml(V1);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of(), strings(ServerFixture.json(r).get("changes")));
        assertSame(open, database());
    }

    @Test
    void putAddsAFieldWithADefaultThatExistingEntitiesGet() {
        putYaml(V1);
        long id = insert("Person", Map.of("email", "ada@example.com", "age", 36));
        HttpResponse<String> r = putYaml(V1.replace("      - {name: nick, type: TEXT}\n",
                "      - {name: nick, type: TEXT}\n      - {name: plan, type: TEXT, oneOf: [free, pro], default: free}\n"));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("add field Person.plan (default \"free\")"), strings(ServerFixture.json(r).get("changes")));
        assertEquals("free", get("Person", id).get("plan"));
        assertEquals("ada@example.com", get("Person", id).get("email"));
        JsonNode plan = ServerFixture.json(server.get("/v1/schema")).get("types").get(1).get("fields").get(3);
        assertEquals("{\"name\":\"plan\",\"type\":\"TEXT\",\"oneOf\":[\"free\",\"pro\"],\"default\":\"free\"}",
                plan.toString());
    }

    @Test
    void putAddsAnIndexAndRenamesAField() {
        putYaml(V1);
        long id = insert("Person", Map.of("email", "ada@example.com", "nick", "ada"));
        HttpResponse<String> r = putYaml(V1.replace("{name: nick, type: TEXT}", "{name: alias, type: TEXT, renamedFrom: nick}")
                + "    indexes:\n      - {name: by_age, fields: [age]}\n");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("rename field Person.nick to Person.alias", "add index Person.by_age[age]"),
                strings(ServerFixture.json(r).get("changes")));
        assertEquals("ada", get("Person", id).get("alias"));
        EntityType person = server.server().database().withDatabase(db -> db.schema()).get(1);
        assertTrue(person.indexes().stream().anyMatch(i -> i.name().equals("by_age")), person.toString());
    }

    @Test
    void aUniqueRuleTheDataBreaksIsRefusedAndNothingChanges() {
        putYaml(V1);
        long a = insert("Person", Map.of("email", "a@example.com", "nick", "twin"));
        long b = insert("Person", Map.of("email", "b@example.com", "nick", "twin"));
        String before = server.get("/v1/schema").body();
        KeelDb open = database();

        HttpResponse<String> r = putYaml(V1.replace("{name: nick, type: TEXT}", "{name: nick, type: TEXT, unique: true}"));
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith(Problems.MEDIA_TYPE), r.toString());
        JsonNode p = ServerFixture.json(r);
        assertEquals("schema-incompatible", p.get("code").asText());
        assertTrue(p.get("problems").get(0).asText().contains("Person#" + a + " and Person#" + b + " share this value"),
                p.toString());
        assertTrue(p.get("detail").asText().startsWith("the schema was not changed"), p.toString());

        // Schema and data unchanged, and the server still serves reads and writes.
        assertEquals(before, server.get("/v1/schema").body());
        assertNotSame(open, database(), "only the open checks the data: it was reopened, then restored");
        assertEquals("twin", get("Person", a).get("nick"));
        assertEquals("twin", get("Person", b).get("nick"));
        long c = insert("Person", Map.of("email", "c@example.com", "nick", "twin"));
        assertEquals("twin", get("Person", c).get("nick"));
    }

    @Test
    void aTightenedRuleTheDataBreaksListsTheEntities() {
        putYaml(V1);
        long old = insert("Person", Map.of("email", "old@example.com", "age", 120));
        HttpResponse<String> r = putYaml(V1.replace("{name: age, type: INT, min: 0}", "{name: age, type: INT, min: 0,"
                + " max: 99}"));
        assertEquals(422, r.statusCode(), r.body());
        JsonNode p = ServerFixture.json(r);
        assertEquals(List.of("Person#" + old + ".age breaks max: must be at most 99 (value 120)"),
                strings(p.get("problems")));
        assertEquals(120, get("Person", old).get("age"));
    }

    @Test
    void incompatibleChangesAreListedEachWithItsFix() {
        putYaml(V1);
        KeelDb open = database();
        HttpResponse<String> r = putYaml(V1.replace("{name: age, type: INT, min: 0}", "{name: age, type: TEXT}")
                .replace("      - {name: nick, type: TEXT}\n", "      - {name: nick, type: TEXT}\n"
                        + "      - {name: phone, type: TEXT, required: true}\n"));
        assertEquals(422, r.statusCode(), r.body());
        List<String> problems = strings(ServerFixture.json(r).get("problems"));
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("field Person.age is stored as INT and declared as TEXT: only widening"),
                problems.toString());
        assertTrue(problems.get(1).startsWith("new field Person.phone is required and has no default"),
                problems.toString());
        assertEquals(new SchemaDocument().read(V1, Format.YAML), server.server().database().withDatabase(db -> db.schema()));
        assertSame(open, database(), "the plan refused it: the database was not reopened");
    }

    @Test
    void typesLeftOutOfTheDocumentStay() {
        putYaml(V1);
        long id = insert("Company", Map.of("name", "Initech"));
        HttpResponse<String> r = putYaml("""
                types:
                  - name: Tag
                    fields: [{name: label, type: TEXT}]
                """);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("add type Tag"), strings(ServerFixture.json(r).get("changes")));
        List<String> names = new ArrayList<>();
        ServerFixture.json(r).get("schema").get("types").forEach(t -> names.add(t.get("name").asText()));
        assertEquals(List.of("Company", "Person", "Tag"), names);
        assertEquals("Initech", get("Company", id).get("name"));
    }

    @Test
    void jsonAndYamlBodiesAreAccepted() {
        String json = """
                {"types":[{"name":"Note","fields":[{"name":"text","type":"TEXT","maxLength":100}]}]}
                """;
        HttpResponse<String> r = server.send("PUT", "/v1/schema", json);
        assertEquals(200, r.statusCode(), r.body());
        for (String type : List.of("application/yaml", "application/x-yaml", "text/yaml; charset=utf-8")) {
            r = put("types: [{name: Note, fields: [{name: text, type: TEXT, maxLength: 200}]}]", type);
            assertEquals(200, r.statusCode(), type + ": " + r.body());
        }
        assertEquals(200, server.server().database().withDatabase(db -> db.schema()).get(0).fields().get(0).maxLength());
    }

    @Test
    void aMalformedOrInvalidBodyIs400WithThePath() {
        HttpResponse<String> r = putYaml("types:\n  - name: A\n    fields: [{name: a, type: INT, min: x}, {name: b}]\n");
        assertEquals(400, r.statusCode(), r.body());
        JsonNode p = ServerFixture.json(r);
        assertEquals("invalid-schema", p.get("code").asText());
        assertEquals("types[0].fields[0].min", p.get("path").asText());
        assertEquals(2, p.get("errors").size(), p.toString());
        assertEquals("types[0].fields[1].type", p.get("errors").get(1).get("path").asText());
        assertEquals("missing: write one of [TEXT, LONG, DOUBLE, BOOLEAN, TIMESTAMP, BYTES, REFERENCE, VECTOR, INT]",
                p.get("errors").get(1).get("message").asText());
        assertTrue(p.get("detail").asText().startsWith("the request body is not a valid schema document (2 errors):"
                + " types[0].fields[0].min: "), p.toString());

        r = server.send("PUT", "/v1/schema", "{\"types\":[{\"name\":\"A\",");
        assertEquals(400, r.statusCode(), r.body());
        p = ServerFixture.json(r);
        assertEquals("invalid-schema", p.get("code").asText());
        assertTrue(p.get("errors").get(0).get("message").asText().startsWith("malformed JSON (line 1, column "),
                p.toString());
        assertEquals("types[0].name", p.get("path").asText());

        r = put("types: []", "text/plain");
        assertEquals(415, r.statusCode(), r.body());
        assertEquals("unsupported-media-type", ServerFixture.json(r).get("code").asText());
        assertEquals(List.of(), server.server().database().withDatabase(db -> db.schema()));
    }

    // ---- helpers ----

    private HttpResponse<String> putYaml(String yaml) {
        return put(yaml, "application/yaml");
    }

    private HttpResponse<String> put(String body, String contentType) {
        return server.send(server.request("/v1/schema").PUT(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", contentType).build());
    }

    private KeelDb database() {
        return server.server().database().withDatabase(db -> db);
    }

    private long insert(String type, Map<String, ?> values) {
        return server.server().database().withDatabase(db -> db.write(tx -> tx.insert(type, values)));
    }

    private Map<String, Object> get(String type, long id) {
        return server.server().database().withDatabase(db -> db.read(s -> s.get(type, id)).map(Entity::values)
                .orElseThrow());
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
