package dev.keel.server.api;

import static dev.keel.server.api.ApiServer.create;
import static dev.keel.server.api.ApiServer.dump;
import static dev.keel.server.api.ApiServer.ok;
import static dev.keel.server.api.ApiServer.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.Entity;
import dev.keel.server.ServerFixture;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntityEndpointsTest extends EndpointTestBase {
    private Entity stored(String type, long id) {
        return s.server().database().withDatabase(db -> db.snapshot().get(type, id)).orElseThrow();
    }

    @Test
    void createAnswers201WithLocationEtagAndTheStoredEntity() {
        HttpResponse<String> r = s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"Ada\",\"age\":36}}");
        JsonNode e = ok(r, 201);
        long id = e.get("id").asLong();
        Entity stored = stored("Person", id);
        assertEquals("Person", e.get("type").asText());
        assertEquals(stored.version(), e.get("version").asLong());
        assertTrue(stored.version() > 0);
        assertEquals("\"" + stored.version() + "\"", r.headers().firstValue("ETag").orElseThrow());
        assertEquals("/v1/entities/Person/" + id, r.headers().firstValue("Location").orElseThrow());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
        // The default of nick is applied and reported; fields without a value are left out.
        assertEquals("{\"name\":\"Ada\",\"age\":36,\"nick\":\"x\"}", e.get("values").toString());
        assertEquals(36, stored.get("age"));
    }

    @Test
    void everyFieldTypeRoundTripsExactly() {
        long company = create(s, "Company", "{\"name\":\"Acme\"}").get("id").asLong();
        String values = "{\"name\":\"Ada \\u00e9\\ud83d\\ude00\",\"age\":150,\"email\":\"a@b\",\"score\":0.1,"
                + "\"active\":false,\"born\":\"1815-12-10T00:00:00.123456789Z\",\"photo\":\"AAEC/w==\","
                + "\"employer\":" + company + ",\"emb\":[0.1,-2.5,3.4028235E38,\"NaN\",\"-Infinity\"],"
                + "\"big\":9223372036854775807,\"nick\":\"n\"}";
        JsonNode created = create(s, "Person", values);
        Entity e = stored("Person", created.get("id").asLong());
        assertEquals("Ada \u00e9\ud83d\ude00", e.getText("name"));
        assertEquals(0.1, e.getDouble("score"));
        assertEquals(Boolean.FALSE, e.getBoolean("active"));
        assertEquals(Instant.parse("1815-12-10T00:00:00.123456789Z"), e.getTimestamp("born"));
        assertTrue(Arrays.equals(new byte[] {0, 1, 2, (byte) 0xff}, e.getBytes("photo")));
        assertEquals(company, e.getLong("employer"));
        float[] emb = e.getVector("emb");
        assertEquals(0.1f, emb[0]);
        assertEquals(-2.5f, emb[1]);
        assertEquals(Float.MAX_VALUE, emb[2]);
        assertTrue(Float.isNaN(emb[3]));
        assertEquals(Float.NEGATIVE_INFINITY, emb[4]);
        assertEquals(Long.MAX_VALUE, e.getLong("big"));
        // What GET answers reads back to the same values.
        JsonNode got = ok(s.get("/v1/entities/Person/" + e.id()), 200);
        assertEquals(created, got);
        assertEquals("[0.1,-2.5,3.4028235E38,\"NaN\",\"-Infinity\"]", got.get("values").get("emb").toString());
        assertEquals("AAEC/w==", got.get("values").get("photo").asText());
        assertEquals("1815-12-10T00:00:00.123456789Z", got.get("values").get("born").asText());
    }

    @Test
    void explicitIdAndTakenId() {
        JsonNode e = ok(s.send("POST", "/v1/entities/Company", "{\"id\":42,\"values\":{\"name\":\"A\"}}"), 201);
        assertEquals(42, e.get("id").asLong());
        String before = dump(s);
        problem(s.send("POST", "/v1/entities/Company", "{\"id\":42,\"values\":{\"name\":\"B\"}}"), 409, "unique-violation");
        JsonNode p = problem(s.send("POST", "/v1/entities/Company", "{\"id\":0,\"values\":{\"name\":\"B\"}}"), 400,
                "invalid-field");
        assertEquals("/id", p.get("path").asText());
        problem(s.send("POST", "/v1/entities/Company", "{\"id\":\"7\",\"values\":{\"name\":\"B\"}}"), 400, "invalid-field");
        assertEquals(before, dump(s));
    }

    @Test
    void getAnswersEtagAnd304ForAMatchingIfNoneMatch() {
        long id = create(s, "Company", "{\"name\":\"Acme\"}").get("id").asLong();
        HttpResponse<String> r = s.get("/v1/entities/Company/" + id);
        String etag = r.headers().firstValue("ETag").orElseThrow();
        assertEquals("\"" + stored("Company", id).version() + "\"", etag);
        HttpResponse<String> notModified = s.send(s.request("/v1/entities/Company/" + id).header("If-None-Match", etag)
                .GET().build());
        assertEquals(304, notModified.statusCode());
        assertEquals(etag, notModified.headers().firstValue("ETag").orElseThrow());
        assertEquals("", notModified.body());
        HttpResponse<String> weak = s.send(s.request("/v1/entities/Company/" + id).header("If-None-Match",
                "\"1\", W/" + etag).GET().build());
        assertEquals(304, weak.statusCode());
        HttpResponse<String> other = s.send(s.request("/v1/entities/Company/" + id).header("If-None-Match", "\"999999\"")
                .GET().build());
        assertEquals(200, other.statusCode());
        problem(s.send(s.request("/v1/entities/Company/" + id).header("If-None-Match", "abc").GET().build()), 400,
                "bad-request");
    }

    @Test
    void missingEntityUnknownTypeAndBadId() {
        problem(s.get("/v1/entities/Company/12345"), 404, "entity-not-found");
        JsonNode p = problem(s.get("/v1/entities/Nope/1"), 404, "unknown-type");
        assertTrue(p.get("detail").asText().contains("Company"), p.toString());
        problem(s.send("POST", "/v1/entities/Nope", "{\"values\":{}}"), 404, "unknown-type");
        problem(s.send("PUT", "/v1/entities/Nope/1", "{\"values\":{}}"), 404, "unknown-type");
        problem(s.delete("/v1/entities/Nope/1"), 404, "unknown-type");
        problem(s.get("/v1/entities/Nope"), 404, "unknown-type");
        problem(s.get("/v1/entities/Company/abc"), 400, "bad-request");
        problem(s.get("/v1/entities/Company/0"), 400, "bad-request");
    }

    @Test
    void putReplacesEveryValueAndPatchMerges() {
        long id = create(s, "Person", "{\"name\":\"Ada\",\"age\":36,\"email\":\"ada@x\"}").get("id").asLong();
        JsonNode patched = ok(s.send("PATCH", "/v1/entities/Person/" + id, "{\"values\":{\"age\":37,\"email\":null}}"),
                200);
        assertEquals("{\"name\":\"Ada\",\"age\":37,\"nick\":\"x\"}", patched.get("values").toString());
        Entity afterPatch = stored("Person", id);
        assertEquals(afterPatch.version(), patched.get("version").asLong());
        assertEquals(37, afterPatch.get("age"));
        assertEquals(null, afterPatch.get("email"));

        HttpResponse<String> put = s.send("PUT", "/v1/entities/Person/" + id, "{\"values\":{\"name\":\"Grace\"}}");
        JsonNode replaced = ok(put, 200);
        assertEquals("{\"name\":\"Grace\"}", replaced.get("values").toString());
        Entity afterPut = stored("Person", id);
        assertEquals("\"" + afterPut.version() + "\"", put.headers().firstValue("ETag").orElseThrow());
        assertTrue(afterPut.version() > afterPatch.version());
        assertEquals(null, afterPut.get("age"));
        assertEquals(null, afterPut.get("nick"));
        assertFalse(put.headers().firstValue("Location").isPresent());

        // merge-patch+json is accepted by PATCH only.
        HttpResponse<String> merge = s.send(s.request("/v1/entities/Person/" + id).header("Content-Type",
                "application/merge-patch+json").method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(
                "{\"values\":{\"age\":5}}")).build());
        assertEquals(5, ok(merge, 200).get("values").get("age").asInt());
        String before = dump(s);
        problem(s.send(s.request("/v1/entities/Person/" + id).header("Content-Type", "application/merge-patch+json")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"values\":{\"name\":\"Z\"}}")).build()),
                415, "unsupported-media-type");
        assertEquals(before, dump(s));
    }

    @Test
    void writesToAMissingEntityAre404AndChangeNothing() {
        create(s, "Company", "{\"name\":\"Acme\"}");
        String before = dump(s);
        problem(s.send("PUT", "/v1/entities/Company/999", "{\"values\":{\"name\":\"B\"}}"), 404, "entity-not-found");
        problem(s.send("PATCH", "/v1/entities/Company/999", "{\"values\":{\"name\":\"B\"}}"), 404, "entity-not-found");
        problem(s.delete("/v1/entities/Company/999"), 404, "entity-not-found");
        assertEquals(before, dump(s));
    }

    @Test
    void ruleViolationsAreRefusedAndChangeNothing() {
        long id = create(s, "Person", "{\"name\":\"Ada\",\"email\":\"ada@x\"}").get("id").asLong();
        String before = dump(s);
        JsonNode p = problem(s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"B\",\"age\":151}}"), 422,
                "constraint-violation");
        assertEquals("max", p.get("rule").asText());
        assertEquals("age", p.get("field").asText());
        problem(s.send("POST", "/v1/entities/Person", "{\"values\":{\"age\":1}}"), 422, "constraint-violation");
        p = problem(s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"B\",\"email\":\"ada@x\"}}"), 409,
                "unique-violation");
        assertEquals(List.of(id), List.of(p.get("conflictingIds").get(0).asLong()));
        problem(s.send("PUT", "/v1/entities/Person/" + id, "{\"values\":{\"age\":3}}"), 422, "constraint-violation");
        problem(s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"B\",\"employer\":777}}"), 422,
                "constraint-violation");
        assertEquals(before, dump(s));
    }

    @Test
    void badValuesNameTheirPathAndWhatIsExpected() {
        String before = dump(s);
        String[][] cases = {
            {"{\"name\":1}", "/values/name", "a string"},
            {"{\"name\":\"a\",\"age\":1.5}", "/values/age", "whole number"},
            {"{\"name\":\"a\",\"age\":\"1\"}", "/values/age", "whole number"},
            {"{\"name\":\"a\",\"age\":2147483648}", "/values/age", "32-bit"},
            {"{\"name\":\"a\",\"big\":1.0}", "/values/big", "whole number"},
            {"{\"name\":\"a\",\"big\":9223372036854775808}", "/values/big", "64-bit"},
            {"{\"name\":\"a\",\"score\":\"x\"}", "/values/score", "a number"},
            {"{\"name\":\"a\",\"score\":1e999}", "/values/score", "range of a double"},
            {"{\"name\":\"a\",\"active\":\"true\"}", "/values/active", "true or false"},
            {"{\"name\":\"a\",\"born\":\"yesterday\"}", "/values/born", "ISO-8601"},
            {"{\"name\":\"a\",\"born\":1}", "/values/born", "ISO-8601"},
            {"{\"name\":\"a\",\"photo\":\"!!\"}", "/values/photo", "base64"},
            {"{\"name\":\"a\",\"employer\":\"x\"}", "/values/employer", "id of the referenced Company"},
            {"{\"name\":\"a\",\"emb\":1}", "/values/emb", "an array"},
            {"{\"name\":\"a\",\"emb\":[1,true]}", "/values/emb/1", "a number"},
            {"{\"name\":\"a\",\"emb\":[1e39]}", "/values/emb/0", "range of a float"},
        };
        for (String[] c : cases) {
            JsonNode p = problem(s.send("POST", "/v1/entities/Person", "{\"values\":" + c[0] + "}"), 400, "invalid-field");
            assertEquals(c[1], p.get("path").asText(), c[0]);
            assertTrue(p.get("detail").asText().contains(c[2]), c[0] + " -> " + p.get("detail").asText());
        }
        JsonNode p = problem(s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"a\",\"nme\":1}}"), 400,
                "unknown-field");
        assertEquals("/values/nme", p.get("path").asText());
        assertTrue(p.get("detail").asText().contains("name"), p.toString());
        p = problem(s.send("POST", "/v1/entities/Person", "{\"valus\":{\"name\":\"a\"}}"), 400, "invalid-field");
        assertEquals("/valus", p.get("path").asText());
        p = problem(s.send("POST", "/v1/entities/Person", "{\"values\":[1]}"), 400, "invalid-field");
        assertEquals("/values", p.get("path").asText());
        p = problem(s.send("POST", "/v1/entities/Person", "{}"), 400, "invalid-field");
        assertEquals("/values", p.get("path").asText());
        assertEquals(before, dump(s));
    }

    /** A refused string is shown as JSON (quotes and control characters escaped), as schema documents show it. */
    @Test
    void aRefusedStringIsQuotedAsJson() {
        JsonNode p = problem(s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"a\",\"active\":"
                + "\"say \\\"no\\\"\\n\"}}"), 400, "invalid-field");
        assertEquals("/values/active: expected true or false for BOOLEAN field 'active', got \"say \\\"no\\\"\\n\"",
                p.path("detail").asText());
    }

    @Test
    void ifMatchIsCheckedInTheWriteAnd412NamesTheCurrentVersion() {
        long id = create(s, "Company", "{\"name\":\"Acme\"}").get("id").asLong();
        long v1 = stored("Company", id).version();
        HttpResponse<String> ok = s.send("PATCH", "/v1/entities/Company/" + id, "{\"values\":{\"name\":\"B\"}}",
                "If-Match", "\"" + v1 + "\"");
        long v2 = ok(ok, 200).get("version").asLong();
        assertTrue(v2 > v1);
        String before = dump(s);
        for (String method : List.of("PUT", "PATCH", "DELETE")) {
            HttpResponse<String> r = s.send(method, "/v1/entities/Company/" + id,
                    method.equals("DELETE") ? null : "{\"values\":{\"name\":\"C\"}}", "If-Match", "\"" + v1 + "\"");
            JsonNode p = problem(r, 412, "version-mismatch");
            assertEquals(v2, p.get("currentVersion").asLong(), method);
            assertEquals("\"" + v2 + "\"", r.headers().firstValue("ETag").orElseThrow());
        }
        problem(s.send("PUT", "/v1/entities/Company/" + id, "{\"values\":{\"name\":\"C\"}}", "If-Match", "W/\"" + v2
                + "\""), 412, "version-mismatch");
        problem(s.send("PUT", "/v1/entities/Company/" + id, "{\"values\":{\"name\":\"C\"}}", "If-Match", "v2"), 400,
                "bad-request");
        assertEquals(before, dump(s));
        ok(s.send("PUT", "/v1/entities/Company/" + id, "{\"values\":{\"name\":\"C\"}}", "If-Match", "\"1\", \"" + v2
                + "\""), 200);
        ok(s.send("PATCH", "/v1/entities/Company/" + id, "{\"values\":{\"name\":\"D\"}}", "If-Match", "*"), 200);
        assertEquals(204, s.send("DELETE", "/v1/entities/Company/" + id, null, "If-Match", "\"" + stored("Company", id)
                .version() + "\"").statusCode());
        assertEquals(0, ApiServer.count(s, "Company"));
    }

    @Test
    void deleteAnswers204AppliesCascadeAndRestrictNamesReferrers() {
        long acme = create(s, "Company", "{\"name\":\"Acme\"}").get("id").asLong();
        long ada = create(s, "Person", "{\"name\":\"Ada\",\"employer\":" + acme + "}").get("id").asLong();
        long bob = create(s, "Person", "{\"name\":\"Bob\",\"employer\":" + acme + "}").get("id").asLong();
        create(s, "Note", "{\"text\":\"n\",\"about\":" + ada + "}");
        String before = dump(s);
        JsonNode p = problem(s.delete("/v1/entities/Company/" + acme), 409, "reference-restrict");
        List<Long> referrers = new java.util.ArrayList<>();
        p.get("referrers").forEach(n -> referrers.add(n.asLong()));
        assertEquals(List.of(ada, bob), referrers.stream().sorted().toList());
        assertEquals(before, dump(s));

        HttpResponse<String> r = s.delete("/v1/entities/Person/" + ada);
        assertEquals(204, r.statusCode());
        assertEquals("", r.body());
        assertEquals(0, ApiServer.count(s, "Note"));
        problem(s.get("/v1/entities/Person/" + ada), 404, "entity-not-found");
    }

    @Test
    void concurrentWritesWithOneIfMatchLetExactlyOneWin() throws Exception {
        long id = create(s, "Person", "{\"name\":\"Ada\",\"age\":1}").get("id").asLong();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 20; round++) {
                String etag = "\"" + stored("Person", id).version() + "\"";
                List<java.util.concurrent.Future<HttpResponse<String>>> answers = new java.util.ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    int age = round * 4 + i;
                    answers.add(pool.submit(() -> s.send("PATCH", "/v1/entities/Person/" + id, "{\"values\":{\"age\":"
                            + age + "}}", "If-Match", etag)));
                }
                int won = 0;
                int wonAge = -1;
                for (java.util.concurrent.Future<HttpResponse<String>> f : answers) {
                    HttpResponse<String> r = f.get();
                    if (r.statusCode() == 200) {
                        won++;
                        wonAge = ServerFixture.json(r).get("values").get("age").asInt();
                    } else {
                        problem(r, 412, "version-mismatch");
                    }
                }
                assertEquals(1, won, "round " + round);
                assertEquals(wonAge, stored("Person", id).get("age"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void everyAnsweredVersionIsThatOfItsOwnCommitUnderConcurrentWrites() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<HttpResponse<String>>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                answers.add(pool.submit(() -> s.send("POST", "/v1/entities/Company", "{\"values\":{\"name\":\"c" + n
                        + "\"}}")));
            }
            java.util.Set<Long> versions = new java.util.HashSet<>();
            for (java.util.concurrent.Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get();
                JsonNode e = ok(r, 201);
                long version = stored("Company", e.get("id").asLong()).version();
                assertEquals(version, e.get("version").asLong());
                assertEquals("\"" + version + "\"", r.headers().firstValue("ETag").orElseThrow());
                assertTrue(versions.add(version), "two commits answered version " + version);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
