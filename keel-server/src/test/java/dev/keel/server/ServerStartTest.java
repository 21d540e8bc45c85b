package dev.keel.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerStartTest {
    @TempDir
    Path dir;

    @Test
    void unknownRouteIsAProblemDocument() {
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b)) {
            HttpResponse<String> r = s.get("/no/such/thing");
            assertEquals(404, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith(Problems.MEDIA_TYPE), r.toString());
            JsonNode p = ServerFixture.json(r);
            assertEquals("not-found", p.get("code").asText());
            assertEquals(404, p.get("status").asInt());
            assertEquals("/no/such/thing", p.get("instance").asText());
            assertTrue(p.get("detail").asText().contains("/no/such/thing"), p.toString());
        }
    }

    @Test
    void refusesNonLoopbackWithoutTokens() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeelServer.start(
                ServerConfig.builder().dataDirectory(dir.resolve("db")).host("0.0.0.0").port(0).build()));
        assertTrue(e.getMessage().contains("without authentication"), e.getMessage());
    }

    @Test
    void closeIsIdempotentAndReleasesTheDatabase() {
        ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b).awaitReady();
        s.server().database().withDatabase(db -> db.health());
        s.close();
        s.close();
        // The directory can be opened again: the lock was released.
        try (ServerFixture again = ServerFixture.start(dir.resolve("db"), b -> b)) {
            assertEquals(404, again.get("/x").statusCode());
        }
    }

    @Test
    void requestsJettyRefusesBeforeRoutingAreProblemDocumentsToo() throws Exception {
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b)) {
            for (String path : new String[] {"/v1/entities/Person/%00", "/v1/Pe%zzrson"}) {
                String answer = raw(s.server().port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
                assertTrue(answer.contains("Content-Type: " + Problems.MEDIA_TYPE), answer);
                String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
                JsonNode p = ServerFixture.JSON.readTree(body.substring(body.indexOf('{')));
                assertEquals("bad-request", p.get("code").asText(), answer);
                assertEquals(400, p.get("status").asInt());
            }
        }
    }

    private static String raw(int port, String request) throws java.io.IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
