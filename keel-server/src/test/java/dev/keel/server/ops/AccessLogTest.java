package dev.keel.server.ops;

import static dev.keel.server.ops.OpsTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import dev.keel.server.ServerConfig.Token;
import dev.keel.server.TestServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One access log line per request, on the logger {@code dev.keel.server.access} (slf4j-simple writes to stderr). */
class AccessLogTest {
    static final String TOKEN = "access-log-token-0123456789";

    @TempDir
    Path tmp;

    @Test
    void oneLinePerRequestWithoutTheToken() {
        Path dir = tmp.resolve("db");
        OpsTestSupport.createDatabase(dir);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (KeelServer server = TestServers.start(ServerConfig.builder().dataDirectory(dir).port(0).accessLog(true)
                .tokens(Set.of(new Token(TOKEN, true))).build(), b -> b, new ItemRoutes())) {
            OpsTestSupport.Client c = new OpsTestSupport.Client(server.port());
            await("ready", () -> c.get("/health/ready").statusCode() == 200);
            assertEquals(201, c.send("POST", "/v1/test/items/7?note=secret", "Authorization", "Bearer " + TOKEN)
                    .statusCode());
            assertEquals(401, c.get("/v1/test/items/1").statusCode());
        } finally {
            System.setErr(original);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains(AccessLog.LOGGER)).toList();
        String post = lines.stream().filter(l -> l.contains("method=POST")).findFirst().orElseThrow(
                () -> new AssertionError("no POST line in " + lines));
        assertTrue(post.contains("INFO"), post);
        assertTrue(post.contains("remote=127.0.0.1 method=POST path=/v1/test/items/7 status=201 ms="), post);
        assertTrue(post.matches(".* ms=\\d+\\.\\d bytes=1$"), "the body was '1' (the id): " + post);
        assertEquals(1, lines.stream().filter(l -> l.contains("status=401")).count(), lines.toString());
        for (String line : lines) {
            assertFalse(line.contains(TOKEN), "never the token: " + line);
            assertFalse(line.contains("secret"), "never the query: " + line);
            assertFalse(line.contains("/health"), "probes log at DEBUG: " + line);
        }
    }
}
