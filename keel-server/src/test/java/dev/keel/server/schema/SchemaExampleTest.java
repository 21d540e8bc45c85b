package dev.keel.server.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.server.ServerFixture;
import dev.keel.server.schema.SchemaDocument.Format;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/schema-example.yaml stays valid: it starts a server, PUTs cleanly and takes the writes it describes. */
class SchemaExampleTest {
    static final Path EXAMPLE = Path.of("..", "docs", "schema-example.yaml");

    @TempDir
    Path dir;

    @Test
    void theExampleFileStartsAServer() {
        List<EntityType> types = SchemaDocument.load(EXAMPLE);
        assertEquals(List.of("Team", "User"), types.stream().map(EntityType::name).toList());
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b.schemaFile(EXAMPLE)).awaitReady()) {
            assertEquals(types, new SchemaDocument().read(s.get("/v1/schema").body(), Format.JSON));
            long team = s.server().database().withDatabase(db -> db.write(tx -> tx.insert("Team",
                    Map.of("name", "Core"))));
            long user = s.server().database().withDatabase(db -> db.write(tx -> tx.insert("User",
                    Map.of("email", "ada@example.com", "age", 36, "team", team, "embedding", new float[] {1, 2, 3}))));
            assertEquals("free", s.server().database().withDatabase(db -> db.read(r -> r.get("User", user))
                    .orElseThrow().get("plan")));
        }
    }

    @Test
    void theExampleFileIsAcceptedByPut() throws Exception {
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b).awaitReady()) {
            HttpResponse<String> r = s.send(s.request("/v1/schema").PUT(HttpRequest.BodyPublishers.ofString(
                    Files.readString(EXAMPLE))).header("Content-Type", "application/yaml").build());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(ServerFixture.json(r).get("changes").toString().contains("add type User"), r.body());
        }
    }

    @Test
    void aServerStartedWithASchemaFileRefusesPut() throws Exception {
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b.schemaFile(EXAMPLE)).awaitReady()) {
            String before = s.get("/v1/schema").body();
            HttpResponse<String> r = s.send(s.request("/v1/schema").PUT(HttpRequest.BodyPublishers.ofString(
                    "types: [{name: Extra, fields: [{name: a, type: TEXT}]}]")).header("Content-Type",
                    "application/yaml").build());
            assertEquals(409, r.statusCode(), r.body());
            assertEquals("schema-managed-by-file", ServerFixture.json(r).get("code").asText());
            assertTrue(ServerFixture.json(r).get("detail").asText().contains("without --schema"), r.body());
            assertEquals(before, s.get("/v1/schema").body());
        }
    }
}
