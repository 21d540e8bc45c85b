package dev.keel.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.ConflictException;
import dev.keel.EntityType;
import dev.keel.KeelDb;
import dev.keel.Transaction;
import dev.keel.server.ApiException;
import dev.keel.server.FieldValues;
import dev.keel.server.Problems;
import dev.keel.server.RouteModule;
import dev.keel.server.ServerContext;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /v1/transactions}: a list of entity operations applied all or nothing in one
 * transaction, answered {@code {"lsn":n,"results":[{"status":201,"entity":{...}}, ...]}} after the
 * commit returned.
 *
 * <p>Every operation is parsed and checked against its type before the transaction starts (a bad
 * one is answered with its index in {@code operation} and a {@code path} under
 * {@code /operations/i}); then they run in order, each seeing the writes of the ones before it. A
 * failing operation fails the transaction: nothing is applied, and the answer is the problem the
 * single-entity endpoint would give, plus {@code operation}. A conflict with a concurrent commit is
 * not an operation's failure: the whole transaction is retried ({@link KeelDb#write}).
 */
public final class TransactionRoutes implements RouteModule {
    /** Most operations in one transaction. */
    static final int MAX_OPERATIONS = 1000;
    private static final Set<String> OPS = Set.of("insert", "replace", "update", "delete", "get");

    @Override
    public void register(JavalinConfig config, ServerContext server) {
        config.routes.post("/v1/transactions", ctx -> run(ctx, server));
    }

    private static void run(Context ctx, ServerContext server) {
        RequestBody body = RequestBody.read(ctx, server, RequestBody.JSON);
        server.database().withDatabase(db -> {
            EntityJson.requireOnly(body.tree(), Set.of("operations"), "");
            List<Operation> ops = parse(db, body.tree().get("operations"), server.config().maxVectorLength());
            Writes.answer(ctx, db, body, tx -> apply(tx, ops));
            return null;
        });
    }

    private static StoredResponse apply(Transaction tx, List<Operation> ops) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putNull("lsn");
        ArrayNode results = body.putArray("results");
        for (int i = 0; i < ops.size(); i++) {
            Operation.Outcome outcome;
            try {
                outcome = ops.get(i).apply(tx);
            } catch (ConflictException e) {
                throw e; // not this operation's fault: the transaction is retried
            } catch (RuntimeException e) {
                throw Problems.of(e).with("operation", i);
            }
            ObjectNode r = results.addObject();
            r.put("status", outcome.status());
            if (outcome.entity() != null) {
                r.set("entity", EntityJson.write(outcome.entity()));
            }
        }
        return StoredResponse.json(200, body);
    }

    static List<Operation> parse(KeelDb db, JsonNode operations, int maxVectorLength) {
        if (operations == null || !operations.isArray()) {
            throw ApiException.invalidField("/operations", "/operations: expected an array of operations, got "
                    + (operations == null ? "nothing" : FieldValues.describe(operations)));
        }
        if (operations.isEmpty() || operations.size() > MAX_OPERATIONS) {
            throw ApiException.invalidField("/operations", "/operations: a transaction has 1 to " + MAX_OPERATIONS
                    + " operations, this one has " + operations.size() + (operations.isEmpty() ? "" : "; split it"))
                    .with("maximum", MAX_OPERATIONS);
        }
        List<Operation> ops = new ArrayList<>(operations.size());
        for (int i = 0; i < operations.size(); i++) {
            try {
                ops.add(parseOne(db, operations.get(i), "/operations/" + i, maxVectorLength));
            } catch (ApiException e) {
                throw e.with("operation", i);
            }
        }
        return ops;
    }

    private static Operation parseOne(KeelDb db, JsonNode op, String base, int maxVectorLength) {
        if (!op.isObject()) {
            throw ApiException.invalidField(base, base + ": expected an operation object, got " + FieldValues.describe(op));
        }
        JsonNode kind = op.get("op");
        if (kind == null || !kind.isTextual() || !OPS.contains(kind.textValue())) {
            throw ApiException.invalidField(base + "/op", base + "/op: expected one of " + OPS.stream().sorted().toList()
                    + ", got " + (kind == null ? "nothing" : FieldValues.describe(kind)));
        }
        String k = kind.textValue();
        EntityJson.requireOnly(op, switch (k) {
            case "insert" -> Set.of("op", "type", "id", "values");
            case "replace", "update" -> Set.of("op", "type", "id", "values", "ifVersion");
            case "delete" -> Set.of("op", "type", "id", "ifVersion");
            default -> Set.of("op", "type", "id");
        }, base);
        JsonNode typeNode = op.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw ApiException.invalidField(base + "/type", base + "/type: expected the entity type name");
        }
        EntityType type;
        try {
            type = Types.require(db, typeNode.textValue());
        } catch (ApiException e) {
            throw e.with("path", base + "/type");
        }
        Long id = id(op.get("id"), base + "/id", !k.equals("insert"));
        VersionMatch ifVersion = ifVersion(op.get("ifVersion"), base + "/ifVersion");
        Map<String, Object> values = k.equals("delete") || k.equals("get") ? Map.of()
                : EntityJson.readValues(op.get("values"), type, base + "/values", maxVectorLength);
        return switch (k) {
            case "insert" -> new Operation.Insert(type, id, values);
            case "replace" -> new Operation.Replace(type, id, values, ifVersion);
            case "update" -> new Operation.Update(type, id, values, ifVersion);
            case "delete" -> new Operation.Delete(type, id, ifVersion);
            default -> new Operation.Get(type, id);
        };
    }

    private static Long id(JsonNode node, String path, boolean required) {
        if (node == null || node.isNull()) {
            if (required) {
                throw ApiException.invalidField(path, path + ": this operation needs the id of the entity");
            }
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 1
                || node.longValue() == Long.MAX_VALUE) {
            throw ApiException.invalidField(path, path + ": expected an entity id (a whole number from 1), got "
                    + FieldValues.describe(node));
        }
        return node.longValue();
    }

    private static VersionMatch ifVersion(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 1) {
            throw ApiException.invalidField(path, path + ": expected the entity's version (a whole number from 1, its"
                    + " ETag without quotes), got " + FieldValues.describe(node));
        }
        return VersionMatch.exactly(node.longValue());
    }
}
