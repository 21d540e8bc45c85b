package dev.keel.server.ops;

import dev.keel.server.RouteModule;
import dev.keel.server.ServerContext;
import io.javalin.config.JavalinConfig;

/**
 * {@code GET /metrics}: every meter of the server's registry in the Prometheus text format
 * (version 0.0.4): the database's ({@link DatabaseMetrics}) and the HTTP requests'
 * ({@link RequestTracker}). Needs a token when tokens are configured, like every path but the
 * probes. The database is sampled once per scrape, without waiting for it.
 */
public final class MetricsRoutes implements RouteModule {
    /** The Prometheus text exposition format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    @Override
    public void register(JavalinConfig config, ServerContext context) {
        DatabaseMetrics database = new DatabaseMetrics(context.database(), context.metrics());
        config.routes.get("/metrics", ctx -> {
            database.refresh();
            ctx.header("Cache-Control", "no-store").contentType(CONTENT_TYPE).result(context.metrics().scrape());
        });
    }
}
