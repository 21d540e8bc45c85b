package dev.keel.server.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.SchemaMismatchException;
import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import dev.keel.server.ServerFixture;
import dev.keel.server.schema.SchemaDocument.Format;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --schema FILE}: declared at start, migrated on restart, refused clearly when invalid or incompatible. */
class SchemaFileStartTest {
    static final String V1 = """
            types:
              - name: Person
                fields:
                  - {name: email, type: TEXT, required: true, unique: true}
                  - {name: age, type: INT}
                  - {name: nickname, type: TEXT}
            """;

    @TempDir
    Path dir;

    @Test
    void theFileIsDeclaredAtStartAndServedWithoutIt() throws Exception {
        Path file = write("schema.yaml", V1);
        List<EntityType> expected = new SchemaDocument().read(V1, Format.YAML);
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b.schemaFile(file)).awaitReady()) {
            assertEquals(expected, s.server().database().withDatabase(db -> db.schema()));
            assertEquals(expected, new SchemaDocument().read(s.get("/v1/schema").body(), Format.JSON));
        }
        // Without a schema file the server serves the stored schema.
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b).awaitReady()) {
            assertEquals(expected, new SchemaDocument().read(s.get("/v1/schema").body(), Format.JSON));
        }
    }

    @Test
    void aJsonFileWorksToo() throws Exception {
        Path file = write("schema.json", new SchemaDocument().write(new SchemaDocument().read(V1, Format.YAML),
                Format.JSON));
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b.schemaFile(file)).awaitReady()) {
            assertEquals(new SchemaDocument().read(V1, Format.YAML), s.server().database().withDatabase(db -> db.schema()));
        }
    }

    @Test
    void aRestartWithAChangedFileMigrates() throws Exception {
        Path file = write("schema.yaml", V1);
        long id;
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b.schemaFile(file)).awaitReady()) {
            id = s.server().database().withDatabase(db -> db.write(tx -> tx.insert("Person",
                    Map.of("email", "ada@example.com", "age", 36, "nickname", "ada"))));
        }
        write("schema.yaml", """
                types:
                  - name: Person
                    fields:
                      - {name: email, type: TEXT, required: true, unique: true}
                      - {name: age, type: LONG, min: 0}
                      - {name: nick, type: TEXT, renamedFrom: nickname}
                      - {name: plan, type: TEXT, default: free}
                    indexes:
                      - {name: by_age, fields: [age]}
                """);
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b.schemaFile(file)).awaitReady()) {
            Map<String, Object> values = s.server().database().withDatabase(db -> db.read(r -> r.get("Person", id))
                    .map(Entity::values).orElseThrow());
            assertEquals(Map.of("email", "ada@example.com", "age", 36L, "nick", "ada", "plan", "free"), values);
            JsonNode person = ServerFixture.json(s.get("/v1/schema")).get("types").get(0);
            assertEquals("LONG", person.get("fields").get(1).get("type").asText());
            assertEquals("by_age", person.get("indexes").get(0).get("name").asText());
        }
    }

    @Test
    void aRestartWithAnIncompatibleFileFailsListingTheProblems() throws Exception {
        Path file = write("schema.yaml", V1);
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b.schemaFile(file)).awaitReady()) {
            s.server().database().withDatabase(db -> db.write(tx -> tx.insert("Person", Map.of("email", "a@b"))));
        }
        write("schema.yaml", V1.replace("{name: age, type: INT}", "{name: age, type: TEXT}")
                + "      - {name: phone, type: TEXT, required: true}\n");
        // The port is bound first; the open fails in the background and readiness reports why.
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b.schemaFile(file))) {
            Throwable failure = awaitFailure(s.server());
            SchemaMismatchException e = assertInstanceOf(SchemaMismatchException.class, failure);
            assertEquals(2, e.problems().size(), e.problems().toString());
            assertTrue(e.problems().get(0).startsWith("field Person.age is stored as INT and declared as TEXT"),
                    e.problems().toString());
            assertTrue(e.problems().get(1).startsWith("new field Person.phone is required and has no default"),
                    e.problems().toString());
            HttpResponse<String> r = s.get("/v1/schema");
            assertEquals(503, r.statusCode(), r.body());
            JsonNode p = ServerFixture.json(r);
            assertEquals("not-ready", p.get("code").asText());
            assertTrue(p.get("detail").asText().contains("field Person.age is stored as INT and declared as TEXT"),
                    p.toString());
        }
        // Nothing was changed: the previous file opens it again, with its data.
        write("schema.yaml", V1);
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b.schemaFile(file)).awaitReady()) {
            assertEquals(1L, (long) s.server().database().withDatabase(db -> db.read(r -> r.count("Person"))));
        }
    }

    @Test
    void anInvalidFileFailsTheStartBeforeBindingOrOpening() throws Exception {
        Path file = write("schema.yaml", """
                types:
                  - name: Person
                    fields:
                      - {name: age, type: INT, min: 10, max: 5}
                      - {name: boss, type: REFERENCE}
                """);
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path data = dir.resolve("db");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeelServer.start(
                ServerConfig.builder().dataDirectory(data).port(port).schemaFile(file).accessLog(false).build()));
        assertEquals("schema file " + file.toAbsolutePath() + " is not a valid schema document (2 errors):"
                + " types[0].fields[0].min: field age (INT): min 10 is above max 5; types[0].fields[1].target: missing:"
                + " a REFERENCE field needs target, the name of the type it refers to (e.g. target: Company)",
                e.getMessage());
        assertFalse(Files.exists(data), "the database was not opened");
        try (ServerSocket again = new ServerSocket(port)) {
            assertEquals(port, again.getLocalPort(), "the port was not left bound");
        }
    }

    @Test
    void aMissingFileFailsTheStartClearly() {
        Path missing = dir.resolve("nope.yaml");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerFixture.start(
                dir.resolve("db"), b -> b.schemaFile(missing)));
        assertTrue(e.getMessage().startsWith("schema file " + missing.toAbsolutePath() + " does not exist; check the"
                + " path"), e.getMessage());
        Path txt = dir.resolve("schema.txt");
        e = assertThrows(IllegalArgumentException.class, () -> ServerFixture.start(dir.resolve("db"),
                b -> b.schemaFile(txt)));
        assertTrue(e.getMessage().contains("name it *.json, *.yaml or *.yml"), e.getMessage());
    }

    private Path write(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    private static Throwable awaitFailure(KeelServer server) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (server.database().failure().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the open did not fail: " + server.database().phase());
            }
            Thread.sleep(5);
        }
        return server.database().failure().get();
    }
}
