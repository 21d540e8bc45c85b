package dev.keel.server.ops;

import dev.keel.Entity;
import dev.keel.server.ApiException;
import dev.keel.server.RouteModule;
import dev.keel.server.ServerContext;
import io.javalin.config.JavalinConfig;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A test-only data API over the {@code Item} type (the real one lives in another package):
 * {@code POST /v1/test/items/{n}} inserts, {@code GET /v1/test/items/{id}} reads, and
 * {@code POST /v1/test/slow/{n}} enters the database, tells {@link #entered}, waits for
 * {@link #release} and only then inserts: a request in flight for as long as the test wants.
 */
final class ItemRoutes implements RouteModule {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public void register(JavalinConfig config, ServerContext context) {
        config.routes.post("/v1/test/items/{n}", ctx -> {
            long n = Long.parseLong(ctx.pathParam("n"));
            long id = context.database().withDatabase(db -> db.write(tx -> tx.insert("Item", Map.of("n", n))));
            ctx.status(201).result(Long.toString(id));
        });
        config.routes.get("/v1/test/items/{id}", ctx -> {
            long id = Long.parseLong(ctx.pathParam("id"));
            Optional<Entity> e = context.database().withDatabase(db -> db.snapshot().get("Item", id));
            ctx.result(e.orElseThrow(() -> new ApiException(404, "entity-not-found", "Entity not found", "no Item " + id))
                    .getLong("n").toString());
        });
        config.routes.post("/v1/test/slow/{n}", ctx -> {
            long n = Long.parseLong(ctx.pathParam("n"));
            long id = context.database().withDatabase(db -> {
                entered.countDown();
                try {
                    if (!release.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ApiException(503, "shutting-down", "Shutting down", "interrupted while waiting");
                }
                return db.write(tx -> tx.insert("Item", Map.of("n", n)));
            });
            ctx.status(201).result(Long.toString(id));
        });
    }
}
