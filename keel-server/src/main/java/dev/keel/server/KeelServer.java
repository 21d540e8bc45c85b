package dev.keel.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keel.EntityType;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KeelDB HTTP server: the JSON API over one database directory, its probes and its metrics.
 *
 * <p>Start-up order: the HTTP port is bound first and the database opens in the background
 * ({@link DatabaseHolder}), so the startup probe can watch a long recovery; data endpoints answer 503
 * {@code not-ready} with the boot phase until the database is READY.
 *
 * <p>Durability: a write is answered 2xx only after its commit returned, that is after it is durable
 * under the configured {@link dev.keel.Durability} (by default synced to disk), the same guarantee as
 * the Java API. Errors are RFC 9457 problem documents ({@link Problems}).
 *
 * <p>Shutdown ({@link #close()}, or SIGTERM through {@code keel serve}): the phase moves to
 * SHUTTING_DOWN (readiness fails), new data requests get 503, requests in flight get up to
 * {@link ServerConfig#shutdownDrain()} to finish, then the database is closed cleanly (which
 * checkpoints) and the port is released. Thread-safe.
 */
public final class KeelServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeelServer.class);

    private final ServerConfig config;
    private final DatabaseHolder database;
    private final Javalin app;
    private final PrometheusMeterRegistry metrics;
    private volatile boolean closed;

    private KeelServer(ServerConfig config, DatabaseHolder database, Javalin app, PrometheusMeterRegistry metrics) {
        this.config = config;
        this.database = database;
        this.app = app;
        this.metrics = metrics;
    }

    /**
     * Binds the port and starts opening the database; returns once the port listens (the database
     * may still be opening).
     *
     * @throws IllegalArgumentException when the configuration is unsafe (a non-loopback host without
     *         tokens) or a file it names is unusable
     */
    public static KeelServer start(ServerConfig config) {
        Objects.requireNonNull(config, "config");
        if (config.tokens().isEmpty() && !config.loopbackOnly()) {
            throw new IllegalArgumentException("refusing to listen on " + config.host() + " without authentication:"
                    + " anyone who can reach it could read and change the data. Configure tokens (--token-file or"
                    + " KEEL_TOKENS) or bind 127.0.0.1");
        }
        List<EntityType> declared = dev.keel.server.schema.SchemaDocument.load(config.schemaFile());
        ObjectMapper json = JsonMappers.forConfig(config);
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DatabaseHolder database = new DatabaseHolder(config.dataDirectory(), declared,
                b -> b.durability(config.durability()).idempotencyKeyTtl(config.idempotencyKeyTtl()),
                config.requestTimeout());
        ServerContext context = new ServerContext(config, database, json, metrics);
        List<RouteModule> modules = new ArrayList<>();
        // Route modules, one line each.
        modules.add(new dev.keel.server.api.EntityRoutes());
        modules.add(new dev.keel.server.api.ListRoutes());
        modules.add(new dev.keel.server.api.TransactionRoutes());
        modules.add(new dev.keel.server.schema.SchemaRoutes());
        try {
            Javalin app = Javalin.create(cfg -> configure(cfg, context, modules)).start(config.host(), config.port());
            KeelServer server = new KeelServer(config, database, app, metrics);
            LOG.info("KeelDB serving {} on {}://{}:{}", config.dataDirectory().toAbsolutePath(),
                    config.tlsKeystore() != null ? "https" : "http", config.host(), app.port());
            return server;
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
    }

    private static void configure(JavalinConfig cfg, ServerContext context, List<RouteModule> modules) {
        cfg.startup.showJavalinBanner = false;
        cfg.startup.showOldJavalinVersionWarning = false;
        cfg.http.maxRequestSize = context.config().maxBodyBytes();
        cfg.http.generateEtags = false;
        cfg.routes.exception(Exception.class, (e, ctx) -> Problems.write(ctx, Problems.of(e), context.json()));
        // Javalin maps HttpResponseException (e.g. 413 from bodyAsBytes) itself unless this is registered.
        cfg.routes.exception(io.javalin.http.HttpResponseException.class,
                (e, ctx) -> Problems.write(ctx, Problems.of(e), context.json()));
        cfg.routes.error(404, ctx -> {
            if (!isProblem(ctx.res().getContentType())) {
                Problems.write(ctx, ApiException.notFound("no endpoint " + ctx.method() + " " + ctx.path()
                        + "; the API is under /v1 (see the README)"), context.json());
            }
        });
        cfg.routes.error(405, ctx -> {
            if (!isProblem(ctx.res().getContentType())) {
                Problems.write(ctx, new ApiException(405, "method-not-allowed", "Method not allowed", ctx.method()
                        + " is not allowed on " + ctx.path()), context.json());
            }
        });
        for (RouteModule m : modules) {
            m.register(cfg, context);
        }
    }

    private static boolean isProblem(String contentType) {
        return contentType != null && contentType.startsWith(Problems.MEDIA_TYPE);
    }

    /** The port listened on (the chosen one when configured with 0). */
    public int port() {
        return app.port();
    }

    /** The configuration. */
    public ServerConfig config() {
        return config;
    }

    /** The database holder: phase, health, the open database. */
    public DatabaseHolder database() {
        return database;
    }

    /** The metrics registry behind {@code /metrics}. */
    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    /** Shuts down gracefully within {@link ServerConfig#shutdownDrain()}; see the class comment. Idempotent. */
    @Override
    public void close() {
        shutdown(config.shutdownDrain());
    }

    /** Shuts down gracefully, waiting up to {@code drain} for requests in flight. Idempotent. */
    public synchronized void shutdown(Duration drain) {
        if (closed) {
            return;
        }
        closed = true;
        database.beginShutdown();
        try {
            database.close(drain);
        } finally {
            app.stop();
            metrics.close();
        }
    }
}
