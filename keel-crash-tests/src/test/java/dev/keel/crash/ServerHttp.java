package dev.keel.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The HTTP client side of {@link ServerKillCrashIT}: java.net.http over HTTP/1.1 to one server
 * process, requests as {@link Request} values (so a retry sends exactly the same bytes), and whole
 * types listed page by page.
 */
final class ServerHttp {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    ServerHttp(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** A write as sent: method, path, JSON body (null for none), Idempotency-Key, If-Match (or null). */
    record Request(String method, String path, String body, String key, String ifMatch) {
        @Override
        public String toString() {
            return method + " " + path + (ifMatch == null ? "" : " If-Match " + ifMatch) + " key " + key
                    + (body == null ? "" : " " + body);
        }
    }

    /** An answer: status, body, and whether the server said it replayed a stored response. */
    record Answer(int status, String body, boolean replayed, String location) {
        JsonNode json() {
            return parse(body);
        }
    }

    Answer send(Request r) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + r.path())).timeout(Duration.ofSeconds(30))
                .method(r.method(), r.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(r.body()));
        if (r.body() != null) {
            b.header("Content-Type", "application/json");
        }
        if (r.key() != null) {
            b.header("Idempotency-Key", r.key());
        }
        if (r.ifMatch() != null) {
            b.header("If-Match", r.ifMatch());
        }
        HttpResponse<String> response = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body(),
                response.headers().firstValue("Idempotent-Replayed").map("true"::equalsIgnoreCase).orElse(false),
                response.headers().firstValue("Location").orElse(null));
    }

    Answer get(String path) throws IOException, InterruptedException {
        return send(new Request("GET", path, null, null, null));
    }

    /** Every entity of {@code type}, by id, listed in pages of 1000. */
    Map<Long, JsonNode> all(String type) throws IOException, InterruptedException {
        Map<Long, JsonNode> result = new TreeMap<>();
        String cursor = null;
        do {
            String path = "/v1/entities/" + type + "?limit=1000"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            Answer a = get(path);
            if (a.status() != 200) {
                throw new AssertionError("GET " + path + " answered " + a.status() + ": " + a.body());
            }
            JsonNode page = a.json();
            for (JsonNode e : page.get("items")) {
                if (result.put(e.get("id").asLong(), e) != null) {
                    throw new AssertionError("listing " + type + " returned id " + e.get("id") + " twice");
                }
            }
            JsonNode next = page.get("nextCursor");
            cursor = next == null || next.isNull() ? null : next.asText();
        } while (cursor != null);
        return result;
    }

    /** Every entity of the workload's types: type name to id to entity JSON. */
    Map<String, Map<Long, JsonNode>> dump() throws IOException, InterruptedException {
        Map<String, Map<Long, JsonNode>> all = new TreeMap<>();
        for (String type : List.of(ServerChild.DOC, ServerChild.ITEM, ServerChild.COUNTER)) {
            all.put(type, all(type));
        }
        return all;
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + json, e);
        }
    }

    static String write(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
