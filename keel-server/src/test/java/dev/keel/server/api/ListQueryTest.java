package dev.keel.server.api;

import static dev.keel.server.api.ApiServer.create;
import static dev.keel.server.api.ApiServer.ok;
import static dev.keel.server.api.ApiServer.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.Entity;
import dev.keel.Query;
import dev.keel.server.ServerFixture;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListQueryTest {
    @TempDir
    Path dir;
    ServerFixture s;

    @BeforeEach
    void start() {
        s = ApiServer.start(dir.resolve("db"), b -> b.maxPageSize(150));
    }

    @AfterEach
    void stop() {
        s.close();
    }

    /** Inserts n people named p0..p(n-1) with age i % 5 (many ties), every 7th without an age. */
    private void people(int n) {
        StringBuilder ops = new StringBuilder("{\"operations\":[");
        for (int i = 0; i < n; i++) {
            ops.append(i == 0 ? "" : ",").append("{\"op\":\"insert\",\"type\":\"Person\",\"values\":{\"name\":\"p")
                    .append(i).append('"').append(i % 7 == 3 ? "" : ",\"age\":" + (i % 5)).append(",\"active\":")
                    .append(i % 2 == 0).append("}}");
        }
        ok(s.send("POST", "/v1/transactions", ops.append("]}").toString()), 200);
    }

    private static List<Long> ids(JsonNode page) {
        List<Long> ids = new ArrayList<>();
        page.get("items").forEach(e -> ids.add(e.get("id").asLong()));
        return ids;
    }

    private List<Long> expected(Query q) {
        return s.server().database().withDatabase(db -> db.snapshot().query(q).map(Entity::id).toList());
    }

    /** Follows nextCursor to the end; returns every id in page order. */
    private List<Long> allPages(String query, int pageSize, Runnable betweenPages) {
        List<Long> all = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 1000; pages++) {
            String url = "/v1/entities/Person?" + query + (query.isEmpty() ? "" : "&") + "limit=" + pageSize
                    + (cursor == null ? "" : "&cursor=" + cursor);
            JsonNode page = ok(s.get(url), 200);
            List<Long> ids = ids(page);
            assertTrue(ids.size() <= pageSize);
            all.addAll(ids);
            if (page.get("nextCursor").isNull()) {
                return all;
            }
            assertEquals(pageSize, ids.size(), "only the last page may be short");
            cursor = page.get("nextCursor").asText();
            betweenPages.run();
        }
        throw new AssertionError("more than 1000 pages");
    }

    @Test
    void filtersByEveryOperator() {
        long acme = create(s, "Company", "{\"name\":\"Acme\"}").get("id").asLong();
        long ada = create(s, "Person", "{\"name\":\"Ada\",\"age\":36,\"active\":true,\"employer\":" + acme
                + ",\"born\":\"1815-12-10T00:00:00Z\",\"score\":1.5}").get("id").asLong();
        long alan = create(s, "Person", "{\"name\":\"Alan\",\"age\":41,\"active\":false,\"born\":\"1912-06-23T00:00:00Z\"}")
                .get("id").asLong();
        long grace = create(s, "Person", "{\"name\":\"Grace\",\"age\":85,\"score\":-2}").get("id").asLong();
        assertEquals(List.of(ada), ids(ok(s.get("/v1/entities/Person?name=Ada"), 200)));
        assertEquals(List.of(alan, grace), ids(ok(s.get("/v1/entities/Person?age.gt=36"), 200)));
        assertEquals(List.of(ada, alan), ids(ok(s.get("/v1/entities/Person?age.gte=36&age.lt=85"), 200)));
        assertEquals(List.of(ada, alan, grace), ids(ok(s.get("/v1/entities/Person?age.lte=85"), 200)));
        assertEquals(List.of(ada, alan), ids(ok(s.get("/v1/entities/Person?name.startsWith=A"), 200)));
        assertEquals(List.of(alan), ids(ok(s.get("/v1/entities/Person?active=false"), 200)));
        assertEquals(List.of(ada), ids(ok(s.get("/v1/entities/Person?employer=" + acme), 200)));
        assertEquals(List.of(alan), ids(ok(s.get("/v1/entities/Person?born.gt=1900-01-01T00:00:00Z"), 200)));
        assertEquals(List.of(grace), ids(ok(s.get("/v1/entities/Person?score.lt=0"), 200)));
        assertEquals(List.of(ada), ids(ok(s.get("/v1/entities/Person?score.gt=1e0"), 200)));
        assertEquals(List.of(), ids(ok(s.get("/v1/entities/Person?name=" + URLEncoder.encode("Ada Lovelace",
                StandardCharsets.UTF_8)), 200)));
        JsonNode all = ok(s.get("/v1/entities/Person"), 200);
        assertEquals(List.of(ada, alan, grace), ids(all));
        assertTrue(all.get("nextCursor").isNull());
        assertFalse(all.has("plan"));
        assertEquals("Ada", all.get("items").get(0).get("values").get("name").asText());
    }

    @Test
    void ordersAscendingAndDescendingWithTiesById() {
        people(30);
        assertEquals(expected(Query.on("Person").orderBy("age")), ids(ok(s.get("/v1/entities/Person?orderBy=age&limit=50"),
                200)));
        List<Long> desc = ids(ok(s.get("/v1/entities/Person?orderBy=-age&limit=50"), 200));
        assertEquals(expected(Query.on("Person").orderByDescending("age")), desc);
        // Ties in id order, in the direction of the order.
        JsonNode page = ok(s.get("/v1/entities/Person?orderBy=%2Bage&age=2&limit=50"), 200);
        List<Long> twos = ids(page);
        assertEquals(twos.stream().sorted().toList(), twos);
        JsonNode descPage = ok(s.get("/v1/entities/Person?orderBy=-age&age=2&limit=50"), 200);
        List<Long> reversed = new ArrayList<>(twos);
        java.util.Collections.reverse(reversed);
        assertEquals(reversed, ids(descPage));
    }

    @Test
    void pagesCoverEveryEntityOnceInEveryOrder() {
        people(37);
        String[][] queries = {
            {"", null},
            {"orderBy=age", "age"},
            {"orderBy=-age", "-age"},
            {"orderBy=name", "name"},
            {"active=true", null},
            {"age.gte=1", null},
            {"age.gte=1&orderBy=-age", "-age"},
            {"active=true&orderBy=age", "age"},
        };
        for (String[] q : queries) {
            Query expectedQuery = Query.on("Person");
            for (String part : q[0].split("&")) {
                if (part.startsWith("active=")) {
                    expectedQuery = expectedQuery.eq("active", Boolean.parseBoolean(part.substring(7)));
                } else if (part.startsWith("age.gte=")) {
                    expectedQuery = expectedQuery.gte("age", Integer.parseInt(part.substring(8)));
                }
            }
            if (q[1] != null) {
                expectedQuery = q[1].startsWith("-") ? expectedQuery.orderByDescending(q[1].substring(1))
                        : expectedQuery.orderBy(q[1]);
            }
            List<Long> expected = expected(expectedQuery);
            if (q[1] == null) {
                expected = expected.stream().sorted().toList();
            }
            for (int size : new int[] {1, 3, 4, 50}) {
                List<Long> got = allPages(q[0], size, () -> { });
                assertEquals(expected, got, q[0] + " in pages of " + size);
            }
        }
    }

    @Test
    void pagesStayStableWhileWritesGoOn() throws Exception {
        people(40);
        List<Long> before = expected(Query.on("Person").orderBy("age"));
        // Inserts between pages, some sorting before the cursor, some after, and a writer thread meanwhile.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    ok(s.send("POST", "/v1/entities/Person", "{\"values\":{\"name\":\"w" + i + "\",\"age\":" + (i % 6)
                            + "}}"), 201);
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        writer.start();
        int[] n = {0};
        List<Long> got;
        try {
            got = allPages("orderBy=age", 7, () -> create(s, "Person", "{\"name\":\"b" + n[0]++ + "\",\"age\":"
                    + (n[0] % 5) + "}"));
        } finally {
            stop.set(true);
            writer.join();
        }
        assertEquals(null, failed.get());
        Set<Long> seen = new HashSet<>();
        for (Long id : got) {
            assertTrue(seen.add(id), "entity " + id + " appeared twice");
        }
        assertTrue(seen.containsAll(before), "an entity that existed before paging was skipped");
        // The pages together are in order: age (missing first), then id.
        List<Entity> entities = s.server().database().withDatabase(db -> got.stream()
                .map(id -> db.snapshot().get("Person", id).orElseThrow()).toList());
        for (int i = 1; i < entities.size(); i++) {
            Integer a = (Integer) entities.get(i - 1).get("age");
            Integer b = (Integer) entities.get(i).get("age");
            int c = a == null ? (b == null ? 0 : -1) : b == null ? 1 : Integer.compare(a, b);
            assertTrue(c < 0 || c == 0 && entities.get(i - 1).id() < entities.get(i).id(), entities.get(i - 1) + " then "
                    + entities.get(i));
        }
    }

    @Test
    void aCursorContinuesOnlyItsOwnQuery() {
        people(10);
        JsonNode first = ok(s.get("/v1/entities/Person?orderBy=age&limit=3"), 200);
        String cursor = first.get("nextCursor").asText();
        // Another page size is fine.
        JsonNode second = ok(s.get("/v1/entities/Person?orderBy=age&limit=5&cursor=" + cursor), 200);
        assertEquals(5, ids(second).size());
        assertFalse(ids(second).contains(ids(first).get(0)));
        for (String other : List.of("orderBy=-age", "orderBy=name", "", "orderBy=age&active=true")) {
            JsonNode p = problem(s.get("/v1/entities/Person?" + other + "&cursor=" + cursor), 400, "invalid-cursor");
            assertEquals("cursor", p.get("path").asText());
        }
        problem(s.get("/v1/entities/Company?orderBy=name&cursor=" + cursor), 400, "invalid-cursor");
        problem(s.get("/v1/entities/Person?cursor=not-a-cursor"), 400, "invalid-cursor");
        problem(s.get("/v1/entities/Person?cursor=e30"), 400, "invalid-cursor");
        // Parameter order does not matter.
        JsonNode a = ok(s.get("/v1/entities/Person?active=true&age.gte=1&limit=1"), 200);
        ok(s.get("/v1/entities/Person?age.gte=1&active=true&cursor=" + a.get("nextCursor").asText()), 200);
    }

    @Test
    void badParametersNameThemselves() {
        String[][] cases = {
            {"nope=1", "unknown-field", "nope"},
            {"nope.gt=1", "unknown-field", "nope.gt"},
            {"age=x", "invalid-field", "age"},
            {"age.gt=1.5", "invalid-field", "age.gt"},
            {"age=99999999999", "invalid-field", "age"},
            {"age.near=1", "invalid-field", "age.near"},
            {"active=yes", "invalid-field", "active"},
            {"born.lt=today", "invalid-field", "born.lt"},
            {"score=1x", "invalid-field", "score"},
            {"emb=1", "invalid-field", "emb"},
            {"age.startsWith=1", "invalid-field", "age.startsWith"},
            {"orderBy=nope", "unknown-field", "orderBy"},
            {"orderBy=emb", "invalid-field", "orderBy"},
            {"limit=0", "invalid-field", "limit"},
            {"limit=151", "invalid-field", "limit"},
            {"limit=x", "invalid-field", "limit"},
            {"explain=maybe", "invalid-field", "explain"},
            {"limit=1&limit=2", "invalid-field", "limit"},
        };
        for (String[] c : cases) {
            JsonNode p = problem(s.get("/v1/entities/Person?" + c[0]), 400, c[1]);
            assertEquals(c[2], p.get("path").asText(), c[0]);
        }
    }

    @Test
    void explainShowsThePlanAndDefaultLimitIsAHundred() {
        people(120);
        JsonNode indexed = ok(s.get("/v1/entities/Person?age=2&explain=true"), 200);
        assertTrue(indexed.get("plan").asText().startsWith("INDEX Person."), indexed.get("plan").asText());
        JsonNode scanned = ok(s.get("/v1/entities/Person?name=p1&explain=true"), 200);
        assertTrue(scanned.get("plan").asText().startsWith("SCAN Person"), scanned.get("plan").asText());
        JsonNode page = ok(s.get("/v1/entities/Person"), 200);
        assertEquals(ListQuery.DEFAULT_LIMIT, ids(page).size());
        assertNotEquals(null, page.get("nextCursor").textValue());
    }
}
