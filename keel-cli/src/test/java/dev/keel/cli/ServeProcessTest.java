package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
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
            // The printed commands work, in order: readiness, declare a type, insert, list.
            HttpResponse<String> ready = serve.curl(serve.printedCurl("/health/ready"));
            assertEquals(200, ready.statusCode(), ready.body());
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
            assertTrue(serve.err().contains("SIGTERM received: shutting down gracefully")
                    && serve.err().contains("KeelDB server stopped"), serve.toString());
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
    void aSchemaFileDeclaresTheTypesAtStartOnAFreshVolume() throws Exception {
        Files.writeString(tmp.resolve("schema.yaml"), """
                types:
                  - name: Task
                    fields:
                      - {name: title, type: TEXT, required: true, maxLength: 5}
                      - {name: state, type: TEXT, required: true, oneOf: [todo, done]}
                """);
        // A fresh volume: empty but for lost+found.
        Files.createDirectories(tmp.resolve("volume").resolve("lost+found"));
        try (ServeProcess serve = ServeProcess.start(tmp, Map.of(), "--data", "volume", "--schema", "schema.yaml",
                "--port", "0", "--no-access-log")) {
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
            assertEquals(200, serve.curl(serve.printedCurl("/health/ready")).statusCode(), "probes need no token");
            String put = serve.printedCurl("/v1/schema");
            assertEquals(401, serve.curl(put).statusCode(), "no token");
            assertEquals(403, serve.curl(put, "Authorization", "Bearer bbbbbbbbbbbbbbbb2").statusCode(), "read-only");
            HttpResponse<String> declared = serve.curl(put, "Authorization", "Bearer aaaaaaaaaaaaaaaa1");
            assertEquals(200, declared.statusCode(), declared.body());
            HttpResponse<String> created = serve.curl(serve.printedCurl("-X POST"), "Authorization",
                    "Bearer aaaaaaaaaaaaaaaa1");
            assertEquals(201, created.statusCode(), created.body());
            assertEquals(SIGTERM_EXIT, serve.stop(), serve.toString());
        }
    }

    @Test
    void httpsFromAKeystoreWhosePasswordIsInTheEnvironment() throws Exception {
        String password = "keystore-secret-1";
        Path keystore = tmp.resolve("keel.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "keel", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-dname",
                "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", password, "-keypass", password).redirectErrorStream(true).start();
        String keytoolOut = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keytool.waitFor(), keytoolOut);
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("keel", KeyStore.getInstance(keystore.toFile(), password.toCharArray())
                .getCertificate("keel"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        HttpClient https = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
        try (ServeProcess serve = ServeProcess.start(tmp, Map.of("KEEL_TEST_TLS_PASSWORD", password), "--data", "db",
                "--port", "0", "--tls-keystore", keystore.toString(), "--tls-password-env", "KEEL_TEST_TLS_PASSWORD")) {
            int port = serve.port();
            serve.awaitLine("Stop with");
            assertContains(serve.outText(), "listening on https://127.0.0.1:" + port, "TLS: on",
                    "curl -s --cacert CA.pem https://127.0.0.1:" + port + "/health/ready");
            assertFalse(serve.outText().contains(password) || serve.err().contains(password), "password printed");
            HttpResponse<String> ready = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port
                    + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body());
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
            assertEquals(200, serve.get("/health/live").statusCode(), "alive");
            assertEquals(200, serve.get("/health/startup").statusCode(), "the open finished (and failed)");
            HttpResponse<String> ready = serve.get("/health/ready");
            assertEquals(503, ready.statusCode(), ready.body());
            assertFalse(serve.outText().contains("ready in"), serve.toString());
            assertEquals(SIGTERM_EXIT, serve.stop(), serve.toString());
            assertTrue(Files.exists(dir.resolve("keel.lock")));
            assertEquals(3, holder.snapshot().count("Item"), "the holder's database is untouched");
        }
    }
}
