package dev.keel.crash;

import static dev.keel.crash.ServerChild.COUNTER;
import static dev.keel.crash.ServerChild.DOC;
import static dev.keel.crash.ServerChild.ITEM;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.crash.ServerHttp.Answer;
import dev.keel.crash.ServerHttp.Request;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * One client thread of {@link ServerKillCrashIT} and what it knows: it writes only its own
 * entities (Docs with {@code owner} = its name, Items of batches named after it, its Counter), one
 * request at a time, each with a fresh Idempotency-Key, and keeps the last acknowledged (2xx) state
 * of each, every acknowledged request with its answer (for the replay check), and the one request
 * that was in flight when the server died ({@link #pending}), whose outcome is unknown.
 *
 * <p>Requests: POST a Doc, PUT (replace) and PATCH (change {@code n}, clear {@code text}) a Doc,
 * DELETE a Doc (PUT, PATCH and DELETE with {@code If-Match} half of the time), and POST
 * /v1/transactions inserting 1 to 5 Items of a new batch and setting the Counter's {@code seq} to
 * the transaction's number, all or nothing.
 *
 * <p>{@link #resolve} compares the acknowledged state with what a restarted server lists and
 * decides whether the pending request took effect; {@link #retryPending} then retries it with the
 * same key, which must be a replay exactly when it took effect. Not thread-safe: one thread at a time.
 */
final class ServerWorkload {
    enum Kind { CREATE_COUNTER, POST, PUT, PATCH, DELETE, TX }

    /** A request and what it means for the model. */
    record Op(Kind kind, Request request, long docId, JsonNode intended, String batch, long seq, int items) {
    }

    /** An acknowledged request with its answer. */
    record Acked(Op op, int status, String body) {
    }

    /** An acknowledged transaction: its batch, number, Items (entity JSON) and commit LSN. */
    record Tx(String batch, long seq, List<JsonNode> items, long lsn) {
    }

    final String owner;
    final long counterId;
    private final Random rnd;
    private final String keyPrefix;
    private int nextKey;
    private long nextSeq;
    final Map<Long, JsonNode> docs = new TreeMap<>();
    final Map<Long, Boolean> deleted = new TreeMap<>();
    JsonNode counter;
    final Map<String, Tx> txs = new HashMap<>();
    final List<Acked> acked = new ArrayList<>();
    /** Index into {@link #acked} of the first request not yet replay-checked. */
    int replayedUpTo;
    Op pending;

    ServerWorkload(String keyPrefix, int thread, long seed) {
        this.owner = "t" + thread;
        this.counterId = 1_000_000 + thread;
        this.keyPrefix = keyPrefix + "-" + owner + "-";
        this.rnd = new Random(seed);
    }

    /** Sends requests until {@code stop} or until the server is gone (an IOException: left {@link #pending}). */
    void run(ServerHttp http, BooleanSupplier stop) throws InterruptedException {
        while (!stop.getAsBoolean()) {
            Op op = next();
            pending = op;
            Answer a;
            try {
                a = http.send(op.request());
            } catch (IOException e) {
                return;
            }
            pending = null;
            apply(op, a);
        }
    }

    private String key() {
        return keyPrefix + (nextKey++);
    }

    private Op next() {
        if (counter == null) {
            ObjectNode body = ServerHttp.JSON.createObjectNode();
            body.put("id", counterId);
            body.putObject("values").put("owner", owner).put("seq", 0L);
            return op(Kind.CREATE_COUNTER, "POST", "/v1/entities/" + COUNTER, body, null, counterId, null, null, 0, 0);
        }
        int r = rnd.nextInt(100);
        List<Long> ids = new ArrayList<>(docs.keySet());
        if (r < 30 || ids.isEmpty() && r < 70) {
            ObjectNode body = ServerHttp.JSON.createObjectNode();
            ObjectNode values = body.putObject("values").put("owner", owner).put("n", rnd.nextLong());
            values.put("text", text());
            return op(Kind.POST, "POST", "/v1/entities/" + DOC, body, null, -1, values, null, 0, 0);
        }
        if (r < 70) {
            long id = ids.get(rnd.nextInt(ids.size()));
            JsonNode doc = docs.get(id);
            String ifMatch = rnd.nextBoolean() ? "\"" + doc.get("version").asLong() + "\"" : null;
            String path = "/v1/entities/" + DOC + "/" + id;
            if (r < 45) {
                ObjectNode body = ServerHttp.JSON.createObjectNode();
                ObjectNode values = body.putObject("values").put("owner", owner).put("n", rnd.nextLong());
                if (rnd.nextBoolean()) {
                    values.put("text", text());
                }
                return op(Kind.PUT, "PUT", path, body, ifMatch, id, values, null, 0, 0);
            }
            if (r < 60) {
                ObjectNode body = ServerHttp.JSON.createObjectNode();
                long n = rnd.nextLong();
                body.putObject("values").put("n", n).putNull("text");
                ObjectNode intended = doc.get("values").deepCopy();
                intended.put("n", n).remove("text");
                return op(Kind.PATCH, "PATCH", path, body, ifMatch, id, intended, null, 0, 0);
            }
            return op(Kind.DELETE, "DELETE", path, null, ifMatch, id, null, null, 0, 0);
        }
        long seq = ++nextSeq;
        String batch = owner + "-" + seq;
        int items = 1 + rnd.nextInt(5);
        ObjectNode body = ServerHttp.JSON.createObjectNode();
        ArrayNode ops = body.putArray("operations");
        for (int i = 0; i < items; i++) {
            ops.addObject().put("op", "insert").put("type", ITEM).putObject("values").put("batch", batch).put("pos", i)
                    .put("val", rnd.nextLong());
        }
        ObjectNode update = ops.addObject().put("op", "update").put("type", COUNTER).put("id", counterId);
        update.putObject("values").put("seq", seq);
        if (rnd.nextBoolean()) {
            update.put("ifVersion", counter.get("version").asLong());
        }
        return op(Kind.TX, "POST", "/v1/transactions", body, null, counterId, null, batch, seq, items);
    }

    private Op op(Kind kind, String method, String path, ObjectNode body, String ifMatch, long docId, ObjectNode intended,
            String batch, long seq, int items) {
        String json = body == null ? null : ServerHttp.write(body);
        // Intended values read back from text, so numbers have the node types a response's have.
        JsonNode values = intended == null ? null : ServerHttp.parse(ServerHttp.write(intended));
        return new Op(kind, new Request(method, path, json, key(), ifMatch), docId, values, batch, seq, items);
    }

    private String text() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0, n = rnd.nextInt(40); i < n; i++) {
            sb.append((char) (rnd.nextInt(8) == 0 ? 0xe9 + rnd.nextInt(10) : 'a' + rnd.nextInt(26)));
        }
        return sb.toString();
    }

    private static int expectedStatus(Kind kind) {
        return switch (kind) {
            case CREATE_COUNTER, POST -> 201;
            case DELETE -> 204;
            default -> 200;
        };
    }

    /** Records an answer to {@code op}: it must be the expected success; the model takes its result. */
    void apply(Op op, Answer a) {
        if (a.status() != expectedStatus(op.kind())) {
            throw new AssertionError(owner + ": " + op.request() + " answered " + a.status() + " (expected "
                    + expectedStatus(op.kind()) + "): " + a.body());
        }
        switch (op.kind()) {
            case CREATE_COUNTER -> counter = entity(a.json(), COUNTER, op.docId(), null);
            case POST -> {
                JsonNode e = entity(a.json(), DOC, -1, op.intended());
                docs.put(e.get("id").asLong(), e);
            }
            case PUT, PATCH -> docs.put(op.docId(), entity(a.json(), DOC, op.docId(), op.intended()));
            case DELETE -> {
                docs.remove(op.docId());
                deleted.put(op.docId(), true);
            }
            case TX -> {
                JsonNode results = a.json().get("results");
                long lsn = a.json().get("lsn").asLong();
                List<JsonNode> items = new ArrayList<>();
                for (int i = 0; i < op.items(); i++) {
                    JsonNode item = results.get(i).get("entity");
                    check(results.get(i).get("status").asInt() == 201 && item.get("version").asLong() == lsn
                            && item.get("values").get("batch").asText().equals(op.batch()), "transaction result " + i
                            + " is not the inserted Item at the commit's LSN " + lsn + ": " + a.body());
                    items.add(item);
                }
                JsonNode c = results.get(op.items()).get("entity");
                check(c.get("values").get("seq").asLong() == op.seq() && c.get("version").asLong() == lsn,
                        "the transaction's Counter result is not seq " + op.seq() + " at " + lsn + ": " + a.body());
                counter = c;
                txs.put(op.batch(), new Tx(op.batch(), op.seq(), items, lsn));
            }
        }
        acked.add(new Acked(op, a.status(), a.body()));
    }

    private JsonNode entity(JsonNode e, String type, long id, JsonNode values) {
        check(e.get("type").asText().equals(type) && (id < 0 || e.get("id").asLong() == id)
                && e.get("version").asLong() > 0 && (values == null || values.equals(e.get("values"))),
                "the answer is not the " + type + (id < 0 ? "" : " " + id) + " written" + (values == null ? ""
                        : " with values " + values) + ": " + e);
        return e;
    }

    private void check(boolean ok, String problem) {
        if (!ok) {
            throw new AssertionError(owner + ": " + problem);
        }
    }

    /**
     * Checks the restarted server's entities ({@code dump}: type to id to entity) against what this
     * client had acknowledged: every acknowledged write present with its acknowledged values and
     * version, nothing of its own that it never sent, and the pending request wholly applied or
     * wholly absent. Returns whether the pending request took effect (false if there is none).
     */
    boolean resolve(Map<String, Map<Long, JsonNode>> dump) {
        Boolean applied = null;
        Op p = pending;
        // Docs.
        Map<Long, JsonNode> mine = new TreeMap<>();
        dump.get(DOC).forEach((id, e) -> {
            if (e.get("values").get("owner").asText().equals(owner)) {
                mine.put(id, e);
            }
        });
        for (Map.Entry<Long, JsonNode> e : docs.entrySet()) {
            long id = e.getKey();
            JsonNode now = mine.remove(id);
            if (p != null && p.docId() == id && p.kind() != Kind.TX && p.kind() != Kind.CREATE_COUNTER) {
                applied = pendingDocOutcome(p, e.getValue(), now);
            } else {
                check(now != null, "ACKNOWLEDGED WRITE LOST: Doc " + id + " should be " + e.getValue() + " but is gone");
                check(now.equals(e.getValue()), "ACKNOWLEDGED WRITE LOST: Doc " + id + " should be " + e.getValue()
                        + " (its last acknowledged state) but is " + now);
            }
        }
        if (p != null && p.kind() == Kind.POST) {
            check(mine.size() <= 1, "more than one unacknowledged Doc appeared: " + mine);
            applied = mine.size() == 1;
            if (applied) {
                JsonNode created = mine.values().iterator().next();
                check(created.get("values").equals(p.intended()), "the pending POST " + p.request() + " left " + created);
                mine.clear();
            }
        }
        check(mine.isEmpty(), "Docs nobody acknowledged or sent are present: " + mine);
        for (Long id : deleted.keySet()) {
            check(!dump.get(DOC).containsKey(id), "an acknowledged DELETE of Doc " + id + " is undone: "
                    + dump.get(DOC).get(id));
        }
        // Counter and Items.
        JsonNode c = dump.get(COUNTER).get(counterId);
        if (p != null && p.kind() == Kind.CREATE_COUNTER) {
            applied = c != null;
            check(c == null || c.get("values").get("seq").asLong() == 0, "the pending Counter insert left " + c);
        } else if (counter != null) {
            check(c != null, "ACKNOWLEDGED WRITE LOST: Counter " + counterId + " is gone");
            boolean txApplied = p != null && p.kind() == Kind.TX && c.get("values").get("seq").asLong() == p.seq();
            if (p != null && p.kind() == Kind.TX) {
                applied = txApplied;
            }
            check(txApplied ? c.get("version").asLong() > counter.get("version").asLong() : c.equals(counter),
                    "ACKNOWLEDGED WRITE LOST: Counter should be " + counter + " but is " + c);
        }
        Map<String, List<JsonNode>> batches = new HashMap<>();
        dump.get(ITEM).values().stream().filter(e -> e.get("values").get("batch").asText().startsWith(owner + "-"))
                .forEach(e -> batches.computeIfAbsent(e.get("values").get("batch").asText(), b -> new ArrayList<>())
                        .add(e));
        for (Tx tx : txs.values()) {
            List<JsonNode> found = batches.remove(tx.batch());
            check(found != null && found.size() == tx.items().size() && found.containsAll(tx.items()),
                    "ACKNOWLEDGED TRANSACTION " + tx.batch() + " (LSN " + tx.lsn() + ") should have Items " + tx.items()
                            + " but has " + found);
        }
        if (p != null && p.kind() == Kind.TX) {
            List<JsonNode> found = batches.remove(p.batch());
            int n = found == null ? 0 : found.size();
            check(n == 0 || n == p.items(), "PARTIAL TRANSACTION: " + n + " of the " + p.items() + " Items of the"
                    + " unacknowledged transaction " + p.batch() + " are present: " + found);
            check((n > 0) == applied, "PARTIAL TRANSACTION " + p.batch() + ": its Items are " + (n > 0 ? "" : "not ")
                    + "present but the Counter update is " + (applied ? "" : "not ") + "(Counter " + c + ")");
        }
        check(batches.isEmpty(), "Items of transactions nobody sent are present: " + batches.keySet());
        return applied != null && applied;
    }

    /** Whether a pending PUT, PATCH or DELETE of {@code acked} took effect, given the entity {@code now}. */
    private boolean pendingDocOutcome(Op p, JsonNode acked, JsonNode now) {
        if (now != null && now.equals(acked)) {
            return false;
        }
        if (p.kind() == Kind.DELETE) {
            check(now == null, "Doc " + p.docId() + " is neither its acknowledged state " + acked + " nor deleted: " + now);
            return true;
        }
        check(now != null && now.get("values").equals(p.intended())
                && now.get("version").asLong() > acked.get("version").asLong(), "Doc " + p.docId() + " is neither its"
                + " acknowledged state " + acked + " nor what the pending " + p.request() + " writes: " + now);
        return true;
    }

    /**
     * Retries the pending request with its key after {@link #resolve} said whether it took effect:
     * a replay ({@code Idempotent-Replayed: true}) exactly when it did, a first execution otherwise;
     * either way a success that the model then takes as acknowledged.
     */
    void retryPending(ServerHttp http, boolean applied) throws IOException, InterruptedException {
        Op p = pending;
        Answer a = http.send(p.request());
        check(a.replayed() == applied, "the retry of the unacknowledged " + p.request() + " with its Idempotency-Key"
                + (applied ? " was executed again, though its first attempt took effect" : " was answered as a replay,"
                        + " though its first attempt left no trace") + ": " + a.status() + " " + a.body());
        pending = null;
        apply(p, a);
    }
}
