package dev.keel.server.api;

import static dev.keel.server.api.ApiServer.count;
import static dev.keel.server.api.ApiServer.dump;
import static dev.keel.server.api.ApiServer.ok;
import static dev.keel.server.api.ApiServer.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.IdempotentResult;
import dev.keel.server.RequestPrincipal;
import dev.keel.server.ServerConfig;
import dev.keel.server.ServerFixture;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Idempotency-Key on every write endpoint: replays, refusals, concurrency, durability across a restart. */
class IdempotencyTest extends EndpointTestBase {
    static final String KEY = "Idempotency-Key";

    private static void assertSameAnswer(HttpResponse<String> first, HttpResponse<String> replay) {
        assertEquals(first.statusCode(), replay.statusCode(), replay.body());
        assertEquals(first.body(), replay.body());
        for (String h : List.of("ETag", "Location", "Content-Type")) {
            assertEquals(first.headers().firstValue(h), replay.headers().firstValue(h), h);
        }
        assertFalse(first.headers().firstValue("Idempotent-Replayed").isPresent());
        assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(null));
    }

    @Test
    void aRetriedCreateIsAnsweredFromTheFirstAndWritesOnce() {
        String body = "{\"values\":{\"name\":\"Ada\",\"age\":36}}";
        HttpResponse<String> first = s.send("POST", "/v1/entities/Person", body, KEY, "create-ada");
        JsonNode created = ok(first, 201);
        long version = created.get("version").asLong();
        assertEquals("\"" + version + "\"", first.headers().firstValue("ETag").orElseThrow());
        long id = created.get("id").asLong();
        assertEquals(version, s.server().database().withDatabase(db -> db.snapshot().get("Person", id))
                .orElseThrow().version());
        HttpResponse<String> replay = s.send("POST", "/v1/entities/Person", body, KEY, "create-ada");
        assertSameAnswer(first, replay);
        assertEquals(1, count(s, "Person"));
        // Still the first answer after the entity changed: the stored response, with the first commit's version.
        ok(s.send("PATCH", "/v1/entities/Person/" + id, "{\"values\":{\"age\":37}}"), 200);
        assertSameAnswer(first, s.send("POST", "/v1/entities/Person", body, KEY, "create-ada"));
        assertEquals(1, count(s, "Person"));
        // The IETF draft's structured-field form ("...") is the same key.
        assertSameAnswer(first, s.send("POST", "/v1/entities/Person", body, KEY, "\"create-ada\""));
    }

    @Test
    void everyWriteEndpointReplays() {
        long id = ok(s.send("POST", "/v1/entities/Company", "{\"values\":{\"name\":\"A\"}}"), 201).get("id").asLong();
        String path = "/v1/entities/Company/" + id;
        String[][] writes = {
            {"PUT", path, "{\"values\":{\"name\":\"B\"}}"},
            {"PATCH", path, "{\"values\":{\"name\":\"C\"}}"},
            {"POST", "/v1/transactions", "{\"operations\":[{\"op\":\"insert\",\"type\":\"Note\",\"values\":{}},"
                    + "{\"op\":\"update\",\"type\":\"Company\",\"id\":" + id + ",\"values\":{\"name\":\"D\"}}]}"},
            {"DELETE", path, null},
        };
        for (String[] w : writes) {
            HttpResponse<String> first = s.send(w[0], w[1], w[2], KEY, "k-" + w[0]);
            assertTrue(first.statusCode() < 300, first.body());
            String after = dump(s);
            HttpResponse<String> replay = s.send(w[0], w[1], w[2], KEY, "k-" + w[0]);
            assertSameAnswer(first, replay);
            assertEquals(after, dump(s), w[0] + " was applied twice");
        }
        assertEquals(1, count(s, "Note"));
        assertEquals(0, count(s, "Company"));
        // The transaction's replay names the first commit's LSN, which every entity it wrote had.
        JsonNode tx = ServerFixture.json(s.send("POST", "/v1/transactions", writes[2][2], KEY, "k-POST"));
        assertEquals(tx.get("lsn"), tx.get("results").get(0).get("entity").get("version"));
    }

    @Test
    void theSameKeyForAnotherRequestIs422AndWritesNothing() {
        ok(s.send("POST", "/v1/entities/Company", "{\"values\":{\"name\":\"A\"}}", KEY, "k1"), 201);
        String before = dump(s);
        problem(s.send("POST", "/v1/entities/Company", "{\"values\":{\"name\":\"B\"}}", KEY, "k1"), 422,
                "idempotency-key-reused");
        problem(s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"A\"}}", KEY, "k1"), 422,
                "idempotency-key-reused");
        problem(s.send("PUT", "/v1/entities/Company/1", "{\"values\":{\"name\":\"A\"}}", KEY, "k1"), 422,
                "idempotency-key-reused");
        assertEquals(before, dump(s));
    }

    @Test
    void aRetryWithAnotherIfMatchIsAnotherRequest() {
        JsonNode created = ok(s.send("POST", "/v1/entities/Company", "{\"values\":{\"name\":\"A\"}}"), 201);
        String etag = "\"" + created.get("version").asLong() + "\"";
        String patch = "{\"values\":{\"name\":\"B\"}}";
        ok(s.send("PATCH", "/v1/entities/Company/1", patch, KEY, "m1", "If-Match", etag), 200);
        String before = dump(s);
        // Same key, same body, another precondition: not a replay of the first answer.
        problem(s.send("PATCH", "/v1/entities/Company/1", patch, KEY, "m1", "If-Match", "\"1\""), 422,
                "idempotency-key-reused");
        assertEquals(before, dump(s));
    }

    @Test
    void keysAreKeptPerClient() {
        s.close();
        String alice = "alice-token-0123456789";
        String bob = "bob-token-0123456789ab";
        ServerFixture asAlice = ApiServer.start(dir.resolve("tokens"), b -> b.tokens(java.util.Set.of(
                new ServerConfig.Token(alice, true), new ServerConfig.Token(bob, true))));
        s = asAlice;
        ServerFixture asBob = ServerFixture.connect(asAlice.server(), bob);
        String body = "{\"values\":{\"name\":\"A\"}}";
        HttpResponse<String> first = ServerFixture.connect(asAlice.server(), alice)
                .send("POST", "/v1/entities/Company", body, KEY, "shared");
        ok(first, 201);
        // Bob's request with Alice's key and body is his own: it runs (and meets Alice's unique name), it is
        // never answered with Alice's stored response.
        HttpResponse<String> other = asBob.send("POST", "/v1/entities/Company", body, KEY, "shared");
        assertFalse(other.headers().firstValue("Idempotent-Replayed").isPresent(), other.body());
        problem(other, 409, "unique-violation");
        HttpResponse<String> mine = asBob.send("POST", "/v1/entities/Company", "{\"values\":{\"name\":\"B\"}}",
                KEY, "shared");
        ok(mine, 201);
        assertFalse(mine.headers().firstValue("Idempotent-Replayed").isPresent());
        assertSameAnswer(first, ServerFixture.connect(asAlice.server(), alice)
                .send("POST", "/v1/entities/Company", body, KEY, "shared"));
        assertEquals(2, count(s, "Company"));
    }

    @Test
    void aFailedRequestStoresNothingUnderItsKey() {
        String before = dump(s);
        problem(s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"A\",\"age\":200}}", KEY, "k"), 422,
                "constraint-violation");
        problem(s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"A\",\"age\":200}}", KEY, "k"), 422,
                "constraint-violation");
        assertEquals(before, dump(s));
        // The key is still free: a corrected request runs under it.
        HttpResponse<String> fixed = s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"A\",\"age\":20}}",
                KEY, "k");
        ok(fixed, 201);
        assertFalse(fixed.headers().firstValue("Idempotent-Replayed").isPresent());
    }

    @Test
    void badKeysAre400() {
        String before = dump(s);
        for (String key : List.of("", "a b", "x".repeat(256), "\"\"")) {
            JsonNode p = problem(s.send("POST", "/v1/entities/Company", "{\"values\":{\"name\":\"A\"}}", KEY, key), 400,
                    "bad-request");
            assertEquals(KEY, p.get("header").asText(), key);
        }
        assertEquals(before, dump(s));
        ok(s.send("POST", "/v1/entities/Company", "{\"values\":{\"name\":\"A\"}}", KEY, "x".repeat(255)), 201);
    }

    @Test
    void aRetryWhileTheFirstRunsIs409AndThenReplays() {
        String body = "{\"values\":{\"name\":\"Held\"}}";
        byte[] request = Writes.fingerprint("POST", "/v1/entities/Company", body.getBytes(StandardCharsets.UTF_8));
        List<HttpResponse<String>> during = new ArrayList<>();
        // The key is held by a write in progress (this one, run through the core API like the server runs it);
        // while it runs, the same request over HTTP is refused at once.
        IdempotentResult first = s.server().database().withDatabase(db -> db.writeIdempotent(
                Writes.scopedKey(RequestPrincipal.ANONYMOUS, "held"), request, tx -> {
            during.add(s.send("POST", "/v1/entities/Company", body, KEY, "held"));
            long id = tx.insert("Company", Map.of("name", "Held"));
            return StoredResponse.entity(201, EntityJson.write(tx.get("Company", id).orElseThrow())).encode();
        }));
        JsonNode p = problem(during.get(0), 409, "idempotency-in-progress");
        assertTrue(during.get(0).headers().firstValue("Retry-After").isPresent());
        assertTrue(p.get("detail").asText().contains("held"), p.toString());
        assertEquals(1, count(s, "Company"));
        HttpResponse<String> replay = s.send("POST", "/v1/entities/Company", body, KEY, "held");
        JsonNode replayed = ok(replay, 201);
        assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals(first.commitLsn(), replayed.get("version").asLong());
        assertEquals("\"" + first.commitLsn() + "\"", replay.headers().firstValue("ETag").orElseThrow());
        assertEquals(1, count(s, "Company"));
    }

    @Test
    void concurrentRetriesWriteOnce() throws Exception {
        // A slow request (a large transaction) and its retry at the same time, many keys: each key writes once,
        // one answer is the first run's, the other a replay of it or 409 in progress.
        String op = "{\"op\":\"insert\",\"type\":\"Note\",\"values\":{\"text\":\"" + "n".repeat(200) + "\"}}";
        String body = "{\"operations\":[" + String.join(",", Collections.nCopies(500, op)) + "]}";
        int keys = 6;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int k = 0; k < keys; k++) {
                String key = "slow-" + k;
                CyclicBarrier both = new CyclicBarrier(2);
                List<Future<HttpResponse<String>>> answers = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    answers.add(pool.submit(() -> {
                        both.await();
                        return s.send("POST", "/v1/transactions", body, KEY, key);
                    }));
                }
                HttpResponse<String> a = answers.get(0).get();
                HttpResponse<String> b = answers.get(1).get();
                int fresh = 0;
                for (HttpResponse<String> r : List.of(a, b)) {
                    if (r.statusCode() == 200 && r.headers().firstValue("Idempotent-Replayed").isEmpty()) {
                        fresh++;
                    } else if (r.statusCode() == 200) {
                        assertEquals("true", r.headers().firstValue("Idempotent-Replayed").orElseThrow());
                    } else {
                        problem(r, 409, "idempotency-in-progress");
                    }
                }
                assertEquals(1, fresh, key + ": " + a.statusCode() + " " + b.statusCode());
                if (a.statusCode() == 200 && b.statusCode() == 200) {
                    assertEquals(a.body(), b.body());
                }
                assertEquals(500L * (k + 1), count(s, "Note"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aKeyIsRememberedAcrossARestart() {
        String body = "{\"values\":{\"name\":\"Ada\"}}";
        HttpResponse<String> first = s.send("POST", "/v1/entities/Person", body, KEY, "durable");
        ok(first, 201);
        s.close();
        s = ServerFixture.start(dir.resolve("db"), b -> b).awaitReady();
        assertSameAnswer(first, s.send("POST", "/v1/entities/Person", body, KEY, "durable"));
        assertEquals(1, count(s, "Person"));
    }

    @Test
    void theConfiguredTtlReachesTheDatabase() throws Exception {
        s.close();
        s = ServerFixture.start(dir.resolve("db"), b -> b.idempotencyKeyTtl(java.time.Duration.ofMillis(1))).awaitReady();
        String body = "{\"values\":{\"name\":\"Ada\"}}";
        ok(s.send("POST", "/v1/entities/Person", body, KEY, "short-lived"), 201);
        Thread.sleep(20); // past the 1 ms the key is remembered
        HttpResponse<String> again = s.send("POST", "/v1/entities/Person", body, KEY, "short-lived");
        ok(again, 201);
        assertFalse(again.headers().firstValue("Idempotent-Replayed").isPresent());
        assertEquals(2, count(s, "Person"));
    }
}
