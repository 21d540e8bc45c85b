package dev.keel.server.api;

import static dev.keel.server.api.ApiServer.dump;
import static dev.keel.server.api.ApiServer.ok;
import static dev.keel.server.api.ApiServer.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.server.ServerFixture;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal of a request body: media type, JSON syntax, the configured limits. Nothing is stored. */
class RequestBodyTest {
    static final int MAX_BODY = 2000;
    static final int MAX_DEPTH = 8;
    static final int MAX_STRING = 100;
    static final int MAX_VECTOR = 4;

    @TempDir
    Path dir;
    ServerFixture s;
    String before;

    @BeforeEach
    void start() {
        s = ApiServer.start(dir.resolve("db"), b -> b.maxBodyBytes(MAX_BODY).maxJsonDepth(MAX_DEPTH)
                .maxStringLength(MAX_STRING).maxVectorLength(MAX_VECTOR));
        ApiServer.create(s, "Company", "{\"name\":\"Acme\"}");
        before = dump(s);
    }

    @AfterEach
    void stop() {
        assertEquals(before, dump(s), "a refused request changed what is stored");
        s.close();
    }

    private HttpResponse<String> post(String contentType, String body) {
        HttpRequest.Builder b = s.request("/v1/entities/Person").POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return s.send(b.build());
    }

    @Test
    void aBodyMustBeJson() {
        JsonNode p = problem(post("text/plain", "{\"values\":{\"name\":\"a\"}}"), 415, "unsupported-media-type");
        assertTrue(p.get("detail").asText().contains("application/json"), p.toString());
        problem(post(null, "{\"values\":{\"name\":\"a\"}}"), 415, "unsupported-media-type");
        problem(post("application/merge-patch+json", "{\"values\":{\"name\":\"a\"}}"), 415, "unsupported-media-type");
        problem(s.send(s.request("/v1/transactions").header("Content-Type", "application/xml")
                .POST(HttpRequest.BodyPublishers.ofString("<a/>")).build()), 415, "unsupported-media-type");
        // Parameters such as the charset are fine.
        before = null;
        ok(post("application/json; charset=utf-8", "{\"values\":{\"name\":\"a\"}}"), 201);
        before = dump(s);
    }

    @Test
    void malformedJsonNamesLineAndColumn() {
        JsonNode p = problem(post("application/json", "{\"values\":\n  {\"name\": \"a\",,}}"), 400, "invalid-json");
        assertEquals(2, p.get("line").asInt(), p.toString());
        assertTrue(p.get("column").asInt() > 1, p.toString());
        assertTrue(p.get("detail").asText().contains("line 2"), p.toString());
        problem(post("application/json", ""), 400, "invalid-json");
        problem(post("application/json", "{\"values\":{}} trailing"), 400, "invalid-json");
        problem(post("application/json", "{\"values\":{\"name\":\"a\",\"name\":\"b\"}}"), 400, "invalid-json");
        JsonNode notObject = problem(post("application/json", "[1,2]"), 400, "invalid-field");
        assertEquals("", notObject.get("path").asText());
    }

    @Test
    void tooDeepJsonNamesTheLimit() {
        String deep = "{\"values\":{\"name\":" + "[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH) + "}}";
        JsonNode p = problem(post("application/json", deep), 400, "invalid-json");
        assertEquals("maxJsonDepth", p.get("limit").asText());
        assertEquals(MAX_DEPTH, p.get("maximum").asInt());
        assertTrue(p.get("detail").asText().contains(String.valueOf(MAX_DEPTH)), p.toString());
    }

    @Test
    void tooLongStringNamesTheLimit() {
        JsonNode p = problem(post("application/json", "{\"values\":{\"name\":\"" + "a".repeat(MAX_STRING + 1)
                + "\"}}"), 400, "invalid-json");
        assertEquals("maxStringLength", p.get("limit").asText());
        assertEquals(MAX_STRING, p.get("maximum").asInt());
    }

    @Test
    void tooLongVectorNamesItsPath() {
        JsonNode p = problem(post("application/json", "{\"values\":{\"name\":\"a\",\"emb\":[1,2,3,4,5]}}"), 400,
                "invalid-field");
        assertEquals("/values/emb", p.get("path").asText());
        assertEquals(MAX_VECTOR, p.get("maximum").asInt());
    }

    @Test
    void oversizeBodyIs413WithAContentLength() {
        String big = "{\"values\":{\"name\":\"" + "a".repeat(MAX_STRING - 1) + "\",\"photo\":\"" + "QUFB".repeat(MAX_BODY)
                + "\"}}";
        problem(post("application/json", big), 413, "body-too-large");
        problem(s.send(s.request("/v1/transactions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(big)).build()), 413, "body-too-large");
    }

    @Test
    void oversizeBodyIs413WhenChunked() {
        byte[] big = ("{\"values\":{\"name\":\"" + "a".repeat(MAX_BODY * 2) + "\"}}").getBytes(StandardCharsets.UTF_8);
        // ofInputStream has no known length: the client sends it chunked, without Content-Length.
        HttpRequest r = s.request("/v1/entities/Person").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        assertEquals(-1, r.bodyPublisher().orElseThrow().contentLength());
        HttpResponse<String> answer = s.send(r);
        problem(answer, 413, "body-too-large");
        assertFalse(answer.body().isEmpty());
    }
}
