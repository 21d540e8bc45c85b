package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keel serve} as a real process: starts on a fresh machine's defaults (creating
 * {@code ./keel-data}), prints where it listens and what to try, answers HTTP, reports a database
 * it cannot open without dying, and stops gracefully on SIGTERM, releasing the directory.
 */
class ServeProcessTest {
    private static final int SIGTERM_EXIT = 128 + 15;

    @TempDir
    Path tmp;

    @Test
    void aBareServeCreatesKeelDataAnswersAndStopsCleanlyOnSigterm() throws Exception {
        try (ServeProcess serve = ServeProcess.start(tmp, Map.of(), "--port", "0")) {
            int port = serve.port();
            assertContains(serve.awaitLine("ready in "), "no entity types yet");
            serve.awaitLine("Stop with");
            String out = serve.outText();
            assertContains(out, "listening on http://127.0.0.1:" + port,
                    "data directory: " + tmp.resolve("keel-data").toRealPath() + " (new database)",
                    "durability: sync, auth: none (loopback only), TLS: off",
                    "curl -s http://127.0.0.1:" + port + "/health/ready",
                    "-X PUT http://127.0.0.1:" + port + "/v1/schema",
                    "-X POST http://127.0.0.1:" + port + "/v1/entities/Note",
                    "kill -TERM " + serve.pid());
            // The printed commands work, in order: declare a type, insert, list.
            HttpResponse<String> schema = serve.curl(serve.printedCurl("/v1/schema"));
            assertEquals(200, schema.statusCode(), schema.body());
            HttpResponse<String> created = serve.curl(serve.printedCurl("-X POST"));
            assertEquals(201, created.statusCode(), created.body());
            assertContains(created.body(), "\"type\":\"Note\"", "\"values\":{\"text\":\"hello\",\"stars\":5}");
            HttpResponse<String> list = serve.curl(serve.printedCurl("?limit=10"));
            assertEquals(200, list.statusCode(), list.body());
            assertContains(list.body(), "\"text\":\"hello\"");
            HttpResponse<String> r = serve.get("/no/such/endpoint");
            assertEquals(404, r.statusCode(), r.body());
            assertContains(r.body(), "\"code\":\"not-found\"");
            assertEquals(SIGTERM_EXIT, serve.stop(), serve.toString());
            assertTrue(serve.outText().contains("shutting down: finishing requests in flight (up to 10s)")
                    && serve.outText().contains("stopped: the database was closed cleanly"), serve.toString());
            assertFalse(serve.err().contains("Exception"), serve.err());
        }
        // The directory is free again, and holds what was written.
        try (KeelDb db = KeelDb.open(tmp.resolve("keel-data"))) {
            assertEquals(1, db.snapshot().count("Note"));
        }
    }

    @Test
    void anExistingDatabaseGetsAnExampleForItsOwnTypes() throws Exception {
        Path dir = tmp.resolve("shop");
        EntityType company = EntityType.builder("Company").field(Field.text("name").required().unique()).build();
        EntityType person = EntityType.builder("Person").field(Field.text("email").required())
                .field(Field.reference("employer", "Company").required()).build();
        try (KeelDb db = KeelDb.open(dir, KeelOptions.builder().entityType(person).entityType(company).build())) {
            db.execute(tx -> tx.insert("Company", Map.of("name", "Initech")));
        }
        try (ServeProcess serve = ServeProcess.start(tmp, Map.of(), "--data", "shop", "--port", "0",
                "--durability", "group", "--no-access-log")) {
            int port = serve.port();
            assertContains(serve.awaitLine("ready in "), "2 entity type(s): Person, Company");
            serve.awaitLine("Stop with");
            assertContains(serve.outText(), "(existing database)", "durability: group",
                    "-X POST http://127.0.0.1:" + port + "/v1/entities/Company -H 'Content-Type: application/json'"
                            + " -d '{\"values\":{\"name\":\"example\"}}'");
            assertFalse(serve.outText().contains("/v1/schema"), "no schema to declare: " + serve.outText());
            HttpResponse<String> created = serve.curl(serve.printedCurl("-X POST"));
            assertEquals(201, created.statusCode(), created.body());
            HttpResponse<String> list = serve.curl(serve.printedCurl("?limit=10"));
            assertContains(list.body(), "\"name\":\"Initech\"", "\"name\":\"example\"");
            assertEquals(SIGTERM_EXIT, serve.stop(), serve.toString());
        }
    }

    @Test
    void aSchemaFileDeclaresTheTypesAtStart() throws Exception {
        Files.writeString(tmp.resolve("schema.yaml"), """
                types:
                  - name: Task
                    fields:
                      - {name: title, type: TEXT, required: true, maxLength: 5}
                      - {name: state, type: TEXT, required: true, oneOf: [todo, done]}
                """);
        try (ServeProcess serve = ServeProcess.start(tmp, Map.of(), "--schema", "schema.yaml", "--port", "0")) {
            serve.port();
            assertContains(serve.awaitLine("ready in "), "1 entity type(s): Task");
            serve.awaitLine("Stop with");
            assertContains(serve.outText(), ", schema: schema.yaml");
            HttpResponse<String> created = serve.curl(serve.printedCurl("-X POST"));
            assertEquals(201, created.statusCode(), created.body());
            assertContains(created.body(), "\"values\":{\"title\":\"examp\",\"state\":\"todo\"}");
            assertEquals(SIGTERM_EXIT, serve.stop(), serve.toString());
        }
    }

    @Test
    void tokensFromKeelTokensAllowAWildcardHostAndTheHintsCarryTheToken() throws Exception {
        String tokens = "aaaaaaaaaaaaaaaa1,bbbbbbbbbbbbbbbb2:read-only";
        try (ServeProcess serve = ServeProcess.start(tmp, Map.of("KEEL_TOKENS", tokens), "--data", "db", "--host",
                "0.0.0.0", "--port", "0")) {
            int port = serve.port();
            serve.awaitLine("Stop with");
            String out = serve.outText();
            assertContains(out, "listening on http://0.0.0.0:" + port + " (reachable from other machines)",
                    "auth: 2 token(s), 1 read-only", "-H \"Authorization: Bearer $KEEL_TOKEN\"",
                    "curl -s http://127.0.0.1:" + port + "/health/ready");
            assertFalse(out.contains("aaaaaaaaaaaaaaaa1") || serve.err().contains("aaaaaaaaaaaaaaaa1"),
                    "a token is never printed");
            assertEquals(SIGTERM_EXIT, serve.stop(), serve.toString());
        }
    }

    @Test
    void aDatabaseThatCannotOpenIsReportedAndTheServerStaysUp() throws Exception {
        Path dir = TestDbs.small(tmp.resolve("db"), 3);
        try (KeelDb holder = KeelDb.open(dir, TestDbs.options());
                ServeProcess serve = ServeProcess.start(tmp, Map.of(), "--data", "db", "--port", "0")) {
            serve.port();
            long deadline = System.currentTimeMillis() + 60_000;
            while (!serve.err().contains("the database failed to open") && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertContains(serve.err(), "keel serve: the database failed to open: database is locked: in use by pid="
                    + ProcessHandle.current().pid(), "the server keeps running (alive, not ready");
            HttpResponse<String> r = serve.get("/no/such/endpoint");
            assertEquals(404, r.statusCode(), "still serving: " + r.body());
            assertFalse(serve.outText().contains("ready in"), serve.toString());
            assertEquals(SIGTERM_EXIT, serve.stop(), serve.toString());
            assertTrue(Files.exists(dir.resolve("keel.lock")));
            assertEquals(3, holder.snapshot().count("Item"), "the holder's database is untouched");
        }
    }
}
