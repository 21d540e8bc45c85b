package dev.keel.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.Index;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.Query;
import dev.keel.QueryPlan;
import dev.keel.Snapshot;
import dev.keel.Transaction;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queries by equality, range and prefix, with order and limit, through indexes and by scan, and
 * what {@link Snapshot#explain} says about each; results in a transaction include its own writes.
 */
class QueryTest {
    static final EntityType USER = EntityType.builder("User")
            .field(Field.text("tenant").required())
            .field(Field.text("name").required())
            .field(Field.intField("age"))
            .field(Field.doubleField("score"))
            .field(Field.text("email").unique())
            .index("tenant", "name")
            .index(Index.on("age").named("by_age"))
            .build();

    @TempDir
    Path tmp;
    KeelDb db;

    @BeforeEach
    void fill() {
        db = KeelDb.open(tmp.resolve("db"), KeelOptions.builder().entityType(USER).build());
        String[] names = {"Ada", "Adele", "Alan", "Barbara", "Grace", "Adrian", "Edsger", "Ken", "Linus", "Margaret"};
        db.execute(tx -> {
            for (int i = 0; i < 100; i++) {
                Map<String, Object> v = new java.util.HashMap<>();
                v.put("tenant", i % 2 == 0 ? "acme" : "initech");
                v.put("name", names[i % names.length] + (i / 10));
                if (i % 7 != 0) {
                    v.put("age", 20 + i % 50);
                }
                v.put("score", i / 10.0);
                v.put("email", "u" + i + "@x.org");
                tx.insert("User", v);
            }
        });
    }

    @AfterEach
    void close() {
        db.close();
    }

    static List<Long> ids(java.util.stream.Stream<Entity> s) {
        return s.map(Entity::id).toList();
    }

    /** The same query answered by filtering a scan in Java: what every plan must return. */
    List<Entity> naive(Snapshot s, java.util.function.Predicate<Entity> p) {
        return s.scan("User").filter(p).toList();
    }

    @Test
    void equalityOnIndexedFieldsUsesTheIndex() {
        Snapshot s = db.snapshot();
        Query q = Query.on("User").eq("tenant", "acme").eq("name", "Ada0");
        QueryPlan plan = s.explain(q);
        assertEquals("by_tenant_name", plan.index(), plan.description());
        assertEquals(List.of("tenant = \"acme\"", "name = \"Ada0\""), plan.indexConditions());
        assertTrue(plan.filters().isEmpty());
        assertEquals(List.of(1L), ids(s.query(q)));
        QueryPlan unique = s.explain(Query.on("User").eq("email", "u42@x.org"));
        assertEquals("unique_email", unique.index());
        assertEquals(List.of(43L), ids(s.query(Query.on("User").eq("email", "u42@x.org"))));
    }

    @Test
    void prefixAndRangeOnTheFieldAfterTheEqualities() {
        Snapshot s = db.snapshot();
        Query prefix = Query.on("User").eq("tenant", "acme").startsWith("name", "Ad").orderBy("name");
        QueryPlan plan = s.explain(prefix);
        assertEquals("by_tenant_name", plan.index());
        assertFalse(plan.sorted(), "the index provides the order: " + plan);
        List<String> expected = naive(s, e -> e.getText("tenant").equals("acme") && e.getText("name").startsWith("Ad"))
                .stream().map(e -> e.getText("name")).sorted().toList();
        assertEquals(expected, s.query(prefix).map(e -> e.getText("name")).toList());
        assertFalse(expected.isEmpty());

        Query range = Query.on("User").gte("age", 30).lt("age", 35).orderBy("age");
        assertEquals("by_age", s.explain(range).index());
        List<Entity> got = s.query(range).toList();
        assertEquals(naive(s, e -> e.get("age") != null && (int) e.get("age") >= 30 && (int) e.get("age") < 35).size(),
                got.size());
        for (int i = 1; i < got.size(); i++) {
            Entity a = got.get(i - 1);
            Entity b = got.get(i);
            int c = Integer.compare((int) a.get("age"), (int) b.get("age"));
            assertTrue(c < 0 || (c == 0 && a.id() < b.id()), "ordered by age then id: " + got);
        }
    }

    @Test
    void descendingOrderAndLimitStopEarly() {
        Snapshot s = db.snapshot();
        Query q = Query.on("User").orderByDescending("age").limit(3);
        QueryPlan plan = s.explain(q);
        assertEquals("by_age", plan.index(), plan.description());
        assertFalse(plan.sorted());
        assertTrue(plan.description().endsWith("ORDER BY age DESC LIMIT 3"), plan.description());
        List<Entity> top = s.query(q).toList();
        assertEquals(3, top.size());
        assertEquals(69, top.get(0).get("age"));
        assertTrue(top.get(0).id() > top.get(1).id(), "ties in descending id order");
    }

    @Test
    void aNonIndexedFieldIsScannedAndExplainSaysSo() {
        Snapshot s = db.snapshot();
        Query q = Query.on("User").gt("score", 8.5).orderBy("score").limit(5);
        QueryPlan plan = s.explain(q);
        assertFalse(plan.usesIndex());
        assertTrue(plan.sorted());
        assertEquals("SCAN User (no index starts with [score]) FILTER [score > 8.5] SORT BY score LIMIT 5",
                plan.description());
        assertEquals(List.of(87L, 88L, 89L, 90L, 91L), ids(s.query(q)));
        // A condition the index does not bound is a filter on what the index reads.
        QueryPlan mixed = s.explain(Query.on("User").eq("tenant", "acme").gt("score", 5));
        assertEquals("by_tenant_name", mixed.index());
        assertEquals(List.of("score > 5.0"), mixed.filters());
    }

    @Test
    void missingValuesNeverMatchAndSortFirst() {
        Snapshot s = db.snapshot();
        assertEquals(naive(s, e -> e.get("age") != null && (int) e.get("age") < 25).size(),
                s.query(Query.on("User").lt("age", 25)).count());
        List<Entity> byAge = s.query(Query.on("User").orderBy("age")).toList();
        assertNull(byAge.get(0).get("age"), "entities without an age come first");
        assertEquals(100, byAge.size());
    }

    @Test
    void aTransactionSeesItsOwnWritesInQueries() {
        try (Transaction tx = db.begin()) {
            long added = tx.insert("User", Map.of("tenant", "acme", "name", "Ada9x", "age", 99));
            tx.update("User", 1, Map.of("name", "Zed"));
            tx.delete("User", 3);
            List<String> names = tx.query(Query.on("User").eq("tenant", "acme").startsWith("name", "Ad").orderBy("name"))
                    .map(e -> e.getText("name")).toList();
            assertTrue(names.contains("Ada9x"), names.toString());
            assertFalse(names.contains("Ada0"), "renamed in this transaction: " + names);
            assertEquals(names.stream().sorted().toList(), names, "still in order with own writes merged in");
            assertEquals(List.of(added), ids(tx.query(Query.on("User").orderByDescending("age").limit(1))));
            assertFalse(ids(tx.query(Query.on("User"))).contains(3L), "deleted in this transaction");
        }
        assertEquals(100, db.snapshot().query(Query.on("User")).count(), "rolled back");
    }

    @Test
    void aPrefixCutInsideASurrogatePairStillMatchesThroughAnIndex() {
        // Found in review: the index path threw while a scan answered it.
        db.execute(tx -> {
            tx.insert("User", Map.of("tenant", "emoji", "name", "\uD83D\uDE00 grin"));
            tx.insert("User", Map.of("tenant", "emoji", "name", "\uD83D\uDE01 beam"));
            tx.insert("User", Map.of("tenant", "emoji", "name", "plain"));
        });
        Query q = Query.on("User").eq("tenant", "emoji").startsWith("name", "\uD83D");
        assertEquals("by_tenant_name", db.snapshot().explain(q).index());
        assertEquals(List.of("\uD83D\uDE00 grin", "\uD83D\uDE01 beam"),
                db.snapshot().query(q).map(e -> e.getText("name")).toList());
    }

    @Test
    void badQueriesSayWhatIsWrong() {
        Snapshot s = db.snapshot();
        assertMessage("condition field 'nope' is not a field of User", () -> s.query(Query.on("User").eq("nope", 1)));
        assertMessage("startsWith needs a TEXT field; User.age is INT", () -> s.query(Query.on("User").startsWith("age", "1")));
        assertMessage("must be INT", () -> s.query(Query.on("User").eq("age", "twenty")));
        assertMessage("unknown entity type 'Nobody'", () -> s.query(Query.on("Nobody")));
        assertMessage("limit must be at least 0", () -> Query.on("User").limit(-1));
    }

    static void assertMessage(String expected, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
