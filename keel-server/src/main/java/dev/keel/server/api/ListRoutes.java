package dev.keel.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.server.RouteModule;
import dev.keel.server.ServerContext;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

/**
 * {@code GET /v1/entities/{type}?field=value&field.gt=...&orderBy=-field&limit=N&cursor=...&explain=true}:
 * one page of a query, {@code {"items":[entity...],"nextCursor":"..."|null}} (+ {@code "plan"}). See
 * {@link ListQuery} for the order and the keyset cursor.
 */
public final class ListRoutes implements RouteModule {

    @Override
    public void register(JavalinConfig config, ServerContext server) {
        config.routes.get(EntityRoutes.COLLECTION, ctx -> list(ctx, server));
    }

    private static void list(Context ctx, ServerContext server) {
        server.database().withDatabase(db -> {
            EntityType type = Types.require(db, ctx.pathParam("type"));
            ListQuery query = ListQuery.parse(type, ctx.queryParamMap(), server.config().maxPageSize());
            ListQuery.Page page = query.run(db.snapshot());
            ObjectNode body = server.json().createObjectNode();
            ArrayNode items = body.putArray("items");
            for (Entity e : page.items()) {
                items.add(EntityJson.write(e));
            }
            if (page.nextCursor() == null) {
                body.putNull("nextCursor");
            } else {
                body.put("nextCursor", page.nextCursor());
            }
            if (query.explain()) {
                body.put("plan", page.plan());
            }
            ctx.contentType(StoredResponse.JSON_TYPE).result(body.toString());
            return null;
        });
    }
}
