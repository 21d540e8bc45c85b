package dev.keel.server.ops;

import static dev.keel.server.ops.OpsTestSupport.await;
import static dev.keel.server.ops.OpsTestSupport.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import dev.keel.server.ServerConfig.Token;
import dev.keel.server.TestServers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer tokens through a real server: who gets in, who may write, what stays open. */
class BearerAuthTest {
    static final String WRITER = "writer-0123456789abcdef";
    static final String READER = "reader-0123456789abcdef";

    @TempDir
    Path tmp;

    private KeelServer start(String host) {
        Path dir = tmp.resolve("db");
        OpsTestSupport.createDatabase(dir);
        ServerConfig config = ServerConfig.builder().dataDirectory(dir).host(host).port(0).accessLog(false)
                .tokens(Set.of(new Token(WRITER, true), new Token(READER, false))).build();
        return TestServers.start(config, b -> b, new ItemRoutes());
    }

    @Test
    void everyPathButTheProbesNeedsAKnownToken() {
        try (KeelServer server = start("127.0.0.1")) {
            OpsTestSupport.Client c = new OpsTestSupport.Client(server.port());
            await("ready", () -> c.get("/health/ready").statusCode() == 200);
            for (String path : new String[] {"/health", "/health/live", "/health/ready", "/health/startup"}) {
                assertEquals(200, c.get(path).statusCode(), path + " is open");
            }
            for (String path : new String[] {"/metrics", "/v1/test/items/1", "/no/such/path", "/healthz",
                    "/health/../metrics", "/health/%2e%2e/metrics"}) {
                HttpResponse<String> r = c.get(path);
                assertTrue(r.statusCode() == 401 || r.statusCode() == 400, path + ": " + r.statusCode() + " " + r.body());
                assertFalse(r.body().contains("keel_"), path + " leaked metrics");
            }
            HttpResponse<String> none = c.get("/metrics");
            assertEquals(401, none.statusCode());
            assertEquals("Bearer realm=\"keel\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
            assertEquals("unauthorized", json(none).get("code").asText());

            HttpResponse<String> wrong = c.get("/metrics", "Authorization", "Bearer wrong-0123456789abcdef");
            assertEquals(401, wrong.statusCode());
            assertEquals("Bearer realm=\"keel\", error=\"invalid_token\"",
                    wrong.headers().firstValue("WWW-Authenticate").orElse(""));
            assertFalse(wrong.body().contains("wrong-0123456789abcdef"), "a token is never echoed");
            assertEquals(401, c.get("/metrics", "Authorization", "Basic " + WRITER).statusCode(), "scheme Bearer only");
            assertEquals(401, c.get("/metrics", "Authorization", "Bearer " + WRITER + "x").statusCode());
            assertEquals(401, c.get("/metrics", "Authorization", "Bearer " + WRITER.substring(1)).statusCode());

            assertEquals(200, c.get("/metrics", "Authorization", "Bearer " + WRITER).statusCode());
            assertEquals(200, c.get("/metrics", "Authorization", "bearer   " + READER).statusCode(),
                    "the scheme is case-insensitive");
            assertEquals(201, c.send("POST", "/v1/test/items/5", "Authorization", "Bearer " + WRITER).statusCode());
            assertEquals(200, c.get("/v1/test/items/1", "Authorization", "Bearer " + READER).statusCode());
            assertEquals(404, c.get("/no/such/path", "Authorization", "Bearer " + READER).statusCode());
        }
    }

    @Test
    void aReadOnlyTokenCannotWrite() {
        try (KeelServer server = start("127.0.0.1")) {
            OpsTestSupport.Client c = new OpsTestSupport.Client(server.port());
            await("ready", () -> c.get("/health/ready").statusCode() == 200);
            for (String method : new String[] {"POST", "PUT", "PATCH", "DELETE"}) {
                HttpResponse<String> r = c.send(method, "/v1/test/items/6", "Authorization", "Bearer " + READER);
                assertEquals(403, r.statusCode(), method + " " + r.body());
                assertEquals("forbidden", json(r).get("code").asText());
            }
            assertEquals(404, c.get("/v1/test/items/1", "Authorization", "Bearer " + READER).statusCode(),
                    "nothing was written");
        }
    }

    @Test
    void aNonLoopbackAddressNeedsTokens() {
        Path dir = tmp.resolve("db");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeelServer.start(
                ServerConfig.builder().dataDirectory(dir).host("0.0.0.0").port(0).build()));
        assertTrue(e.getMessage().contains("without authentication"), e.getMessage());
        try (KeelServer server = start("0.0.0.0")) {
            OpsTestSupport.Client c = new OpsTestSupport.Client(server.port());
            assertEquals(401, c.get("/metrics").statusCode(), "with tokens it binds, and checks them");
        }
    }

    @Test
    void parsesTheAuthorizationHeader() {
        assertEquals("abc", BearerAuth.bearerToken("Bearer abc"));
        assertEquals("abc", BearerAuth.bearerToken("  BEARER   abc  "));
        assertNull(BearerAuth.bearerToken(null));
        assertNull(BearerAuth.bearerToken("Bearer"));
        assertNull(BearerAuth.bearerToken("Bearer "));
        assertNull(BearerAuth.bearerToken("Bearer a b"));
        assertNull(BearerAuth.bearerToken("Basic abc"));
        assertNull(BearerAuth.bearerToken("Bearerabc"));
    }
}
