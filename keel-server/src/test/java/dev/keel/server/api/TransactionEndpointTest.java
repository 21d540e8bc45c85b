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
import org.junit.jupiter.api.Test;

class TransactionEndpointTest extends EndpointTestBase {
    private JsonNode tx(String operations) {
        return ok(s.send("POST", "/v1/transactions", "{\"operations\":[" + operations + "]}"), 200);
    }

    private JsonNode failing(String operations, int status, String code, int operation) {
        String before = dump(s);
        JsonNode p = problem(s.send("POST", "/v1/transactions", "{\"operations\":[" + operations + "]}"), status, code);
        if (operation >= 0) {
            assertEquals(operation, p.get("operation").asInt(), p.toString());
        } else {
            assertFalse(p.has("operation"), p.toString());
        }
        assertEquals(before, dump(s), "a failed transaction changed what is stored");
        return p;
    }

    private Entity stored(String type, long id) {
        return s.server().database().withDatabase(db -> db.snapshot().get(type, id)).orElseThrow();
    }

    @Test
    void everyOperationInOneCommitWithPerOperationResults() {
        long acme = create(s, "Company", "{\"name\":\"Acme\"}").get("id").asLong();
        long old = create(s, "Person", "{\"name\":\"Old\"}").get("id").asLong();
        long oldVersion = stored("Person", old).version();
        long gone = create(s, "Person", "{\"name\":\"Gone\"}").get("id").asLong();
        JsonNode r = tx("{\"op\":\"insert\",\"type\":\"Person\",\"values\":{\"name\":\"Ada\",\"employer\":" + acme + "}},"
                + "{\"op\":\"insert\",\"type\":\"Company\",\"id\":500,\"values\":{\"name\":\"B\"}},"
                + "{\"op\":\"update\",\"type\":\"Person\",\"id\":" + old + ",\"values\":{\"age\":3},\"ifVersion\":"
                + oldVersion + "},"
                + "{\"op\":\"replace\",\"type\":\"Company\",\"id\":500,\"values\":{\"name\":\"C\"}},"
                + "{\"op\":\"delete\",\"type\":\"Person\",\"id\":" + gone + "},"
                + "{\"op\":\"get\",\"type\":\"Company\",\"id\":" + acme + "},"
                + "{\"op\":\"get\",\"type\":\"Company\",\"id\":500}");
        long lsn = r.get("lsn").asLong();
        JsonNode results = r.get("results");
        assertEquals(7, results.size());
        assertEquals(201, results.get(0).get("status").asInt());
        long ada = results.get(0).get("entity").get("id").asLong();
        assertEquals(lsn, results.get(0).get("entity").get("version").asLong());
        assertEquals(lsn, stored("Person", ada).version());
        assertEquals(500, results.get(1).get("entity").get("id").asLong());
        assertEquals("B", results.get(1).get("entity").get("values").get("name").asText());
        assertEquals(200, results.get(2).get("status").asInt());
        assertEquals(3, results.get(2).get("entity").get("values").get("age").asInt());
        assertEquals(lsn, stored("Person", old).version());
        assertEquals("C", results.get(3).get("entity").get("values").get("name").asText());
        assertEquals(204, results.get(4).get("status").asInt());
        assertFalse(results.get(4).has("entity"));
        // A read of an entity the transaction did not write keeps its version; one it wrote has the commit's.
        assertEquals(stored("Company", acme).version(), results.get(5).get("entity").get("version").asLong());
        assertTrue(results.get(5).get("entity").get("version").asLong() < lsn);
        assertEquals(lsn, results.get(6).get("entity").get("version").asLong());
        assertEquals("C", stored("Company", 500).get("name"));
        problem(s.get("/v1/entities/Person/" + gone), 404, "entity-not-found");
    }

    @Test
    void aFailingOperationFailsAllAndIsNamed() {
        long acme = create(s, "Company", "{\"name\":\"Acme\"}").get("id").asLong();
        long ada = create(s, "Person", "{\"name\":\"Ada\",\"employer\":" + acme + "}").get("id").asLong();
        long version = stored("Person", ada).version();
        String insert = "{\"op\":\"insert\",\"type\":\"Company\",\"values\":{\"name\":\"New\"}}";
        failing(insert + ",{\"op\":\"update\",\"type\":\"Person\",\"id\":99,\"values\":{}}", 404, "entity-not-found", 1);
        failing(insert + ",{\"op\":\"get\",\"type\":\"Person\",\"id\":99}", 404, "entity-not-found", 1);
        failing(insert + ",{\"op\":\"delete\",\"type\":\"Person\",\"id\":99}", 404, "entity-not-found", 1);
        JsonNode p = failing(insert + "," + insert + ",{\"op\":\"delete\",\"type\":\"Company\",\"id\":" + acme + "}", 409,
                "reference-restrict", 2);
        assertEquals(ada, p.get("referrers").get(0).asLong());
        p = failing(insert + ",{\"op\":\"update\",\"type\":\"Person\",\"id\":" + ada
                + ",\"values\":{\"age\":1},\"ifVersion\":" + (version + 1000) + "}", 412, "version-mismatch", 1);
        assertEquals(version, p.get("currentVersion").asLong());
        failing(insert + ",{\"op\":\"insert\",\"type\":\"Person\",\"values\":{\"name\":\"B\",\"age\":-1}}", 422,
                "constraint-violation", 1);
        failing(insert + ",{\"op\":\"insert\",\"type\":\"Company\",\"id\":" + acme + ",\"values\":{\"name\":\"X\"}}", 409,
                "unique-violation", 1);
        // Two inserts of one unique value in one transaction: refused at commit, not by an operation.
        failing(insert + "," + insert, 409, "unique-violation", -1);
    }

    @Test
    void operationsAreCheckedBeforeTheTransactionStarts() {
        create(s, "Company", "{\"name\":\"Acme\"}");
        String ok = "{\"op\":\"insert\",\"type\":\"Company\",\"values\":{\"name\":\"New\"}}";
        JsonNode p = failing(ok + ",{\"op\":\"insert\",\"type\":\"Person\",\"values\":{\"name\":\"a\",\"age\":\"x\"}}",
                400, "invalid-field", 1);
        assertEquals("/operations/1/values/age", p.get("path").asText());
        p = failing(ok + ",{\"op\":\"insert\",\"type\":\"Person\",\"values\":{\"nope\":1}}", 400, "unknown-field", 1);
        assertEquals("/operations/1/values/nope", p.get("path").asText());
        p = failing(ok + ",{\"op\":\"insert\",\"type\":\"Nope\",\"values\":{}}", 404, "unknown-type", 1);
        assertEquals("/operations/1/type", p.get("path").asText());
        p = failing(ok + ",{\"op\":\"upsert\",\"type\":\"Person\"}", 400, "invalid-field", 1);
        assertEquals("/operations/1/op", p.get("path").asText());
        p = failing("{\"op\":\"update\",\"type\":\"Person\",\"values\":{}}", 400, "invalid-field", 0);
        assertEquals("/operations/0/id", p.get("path").asText());
        p = failing("{\"op\":\"delete\",\"type\":\"Person\",\"id\":1,\"values\":{}}", 400, "invalid-field", 0);
        assertEquals("/operations/0/values", p.get("path").asText());
        p = failing("{\"op\":\"update\",\"type\":\"Person\",\"id\":1,\"values\":{},\"ifVersion\":\"1\"}", 400,
                "invalid-field", 0);
        assertEquals("/operations/0/ifVersion", p.get("path").asText());
        p = failing("1", 400, "invalid-field", 0);
        assertEquals("/operations/0", p.get("path").asText());
        p = failing("", 400, "invalid-field", -1);
        assertEquals("/operations", p.get("path").asText());
        String before = dump(s);
        p = problem(s.send("POST", "/v1/transactions", "{\"ops\":[]}"), 400, "invalid-field");
        assertEquals("/ops", p.get("path").asText());
        p = problem(s.send("POST", "/v1/transactions", "{\"operations\":{}}"), 400, "invalid-field");
        assertEquals("/operations", p.get("path").asText());
        assertEquals(before, dump(s));
    }

    @Test
    void theNumberOfOperationsIsBounded() {
        String op = "{\"op\":\"insert\",\"type\":\"Note\",\"values\":{}}";
        String max = String.join(",", java.util.Collections.nCopies(TransactionRoutes.MAX_OPERATIONS, op));
        JsonNode p = failing(max + "," + op, 400, "invalid-field", -1);
        assertEquals(TransactionRoutes.MAX_OPERATIONS, p.get("maximum").asInt());
        JsonNode r = tx(max);
        assertEquals(TransactionRoutes.MAX_OPERATIONS, r.get("results").size());
        assertEquals(TransactionRoutes.MAX_OPERATIONS, ApiServer.count(s, "Note"));
    }

    @Test
    void laterOperationsSeeEarlierOnesAndAGetOnlyTransactionAnswersTheSnapshotLsn() {
        JsonNode r = tx("{\"op\":\"insert\",\"type\":\"Company\",\"id\":7,\"values\":{\"name\":\"A\"}},"
                + "{\"op\":\"insert\",\"type\":\"Person\",\"values\":{\"name\":\"P\",\"employer\":7}},"
                + "{\"op\":\"update\",\"type\":\"Company\",\"id\":7,\"values\":{\"name\":\"B\"}},"
                + "{\"op\":\"get\",\"type\":\"Company\",\"id\":7}");
        assertEquals("A", r.get("results").get(0).get("entity").get("values").get("name").asText());
        assertEquals("B", r.get("results").get(3).get("entity").get("values").get("name").asText());
        long lsn = r.get("lsn").asLong();
        JsonNode read = tx("{\"op\":\"get\",\"type\":\"Company\",\"id\":7}");
        assertEquals(lsn, read.get("lsn").asLong());
        assertEquals(lsn, read.get("results").get(0).get("entity").get("version").asLong());
    }
}
