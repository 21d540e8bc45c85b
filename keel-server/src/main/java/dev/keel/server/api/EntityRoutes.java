package dev.keel.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.server.ApiException;
import dev.keel.server.FieldValues;
import dev.keel.server.RouteModule;
import dev.keel.server.ServerContext;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The single-entity endpoints under {@code /v1/entities/{type}}: create (POST), read (GET, with
 * ETag and If-None-Match), replace (PUT), merge (PATCH) and delete (DELETE), the writes with
 * If-Match and Idempotency-Key. Each write is one {@link Operation} in one transaction; the version
 * precondition is checked inside it ({@link Operation}), and the answer is sent after the commit
 * returned ({@link Writes}). The list endpoint is {@link ListRoutes}.
 */
public final class EntityRoutes implements RouteModule {
    static final String ENTITY = "/v1/entities/{type}/{id}";
    static final String COLLECTION = "/v1/entities/{type}";

    @Override
    public void register(JavalinConfig config, ServerContext server) {
        config.routes.post(COLLECTION, ctx -> create(ctx, server));
        config.routes.get(ENTITY, ctx -> read(ctx, server));
        config.routes.put(ENTITY, ctx -> write(ctx, server, false));
        config.routes.patch(ENTITY, ctx -> write(ctx, server, true));
        config.routes.delete(ENTITY, ctx -> delete(ctx, server));
    }

    private static void create(Context ctx, ServerContext server) {
        // The body is read before the database is taken, so a slow upload does not hold back a schema change.
        RequestBody body = RequestBody.read(ctx, server, RequestBody.JSON);
        server.database().withDatabase(db -> {
            EntityType type = Types.require(db, ctx.pathParam("type"));
            EntityJson.requireOnly(body.tree(), Set.of("values", "id"), "");
            Long id = null;
            JsonNode idNode = body.tree().get("id");
            if (idNode != null && !idNode.isNull()) {
                if (!idNode.isIntegralNumber() || !idNode.canConvertToLong() || idNode.longValue() < 1
                        || idNode.longValue() == Long.MAX_VALUE) {
                    throw ApiException.invalidField("/id", "/id: expected a whole number from 1 to " + (Long.MAX_VALUE
                            - 1) + " (the id to insert under), got " + FieldValues.describe(idNode));
                }
                id = idNode.longValue();
            }
            Operation op = new Operation.Insert(type, id, values(body, type, server));
            Writes.answer(ctx, db, body, tx -> StoredResponse.entity(201, EntityJson.write(op.apply(tx).entity())));
            return null;
        });
    }

    private static void read(Context ctx, ServerContext server) {
        server.database().withDatabase(db -> {
            EntityType type = Types.require(db, ctx.pathParam("type"));
            long id = Types.parseId(ctx.pathParam("id"));
            VersionMatch ifNoneMatch = VersionMatch.parseHeader("If-None-Match", ctx.header("If-None-Match"), true);
            Optional<Entity> found = db.snapshot().get(type.name(), id);
            if (found.isEmpty()) {
                throw notFound(type, id);
            }
            Entity e = found.get();
            if (ifNoneMatch != null && ifNoneMatch.matches(e.version())) {
                ctx.status(304).header("ETag", VersionMatch.etag(e.version()));
                return null;
            }
            StoredResponse.entity(200, EntityJson.write(e)).send(ctx, false);
            return null;
        });
    }

    private static void write(Context ctx, ServerContext server, boolean merge) {
        RequestBody body = RequestBody.read(ctx, server, merge ? RequestBody.JSON_OR_MERGE_PATCH : RequestBody.JSON);
        server.database().withDatabase(db -> {
            EntityType type = Types.require(db, ctx.pathParam("type"));
            long id = Types.parseId(ctx.pathParam("id"));
            VersionMatch ifMatch = VersionMatch.parseHeader("If-Match", ctx.header("If-Match"), false);
            EntityJson.requireOnly(body.tree(), Set.of("values"), "");
            Map<String, Object> values = values(body, type, server);
            Operation op = merge ? new Operation.Update(type, id, values, ifMatch)
                    : new Operation.Replace(type, id, values, ifMatch);
            Writes.answer(ctx, db, body, tx -> StoredResponse.entity(200, EntityJson.write(op.apply(tx).entity())));
            return null;
        });
    }

    private static void delete(Context ctx, ServerContext server) {
        server.database().withDatabase(db -> {
            EntityType type = Types.require(db, ctx.pathParam("type"));
            long id = Types.parseId(ctx.pathParam("id"));
            VersionMatch ifMatch = VersionMatch.parseHeader("If-Match", ctx.header("If-Match"), false);
            Operation op = new Operation.Delete(type, id, ifMatch);
            Writes.answer(ctx, db, null, tx -> {
                op.apply(tx);
                return StoredResponse.noContent();
            });
            return null;
        });
    }

    private static Map<String, Object> values(RequestBody body, EntityType type, ServerContext server) {
        return EntityJson.readValues(body.tree().get("values"), type, "/values", server.config().maxVectorLength());
    }

    static ApiException notFound(EntityType type, long id) {
        return new ApiException(404, "entity-not-found", "Entity not found", type.name() + " " + id + " does not exist")
                .with("entityType", type.name()).with("id", id);
    }
}
