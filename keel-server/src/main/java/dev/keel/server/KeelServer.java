package dev.keel.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keel.EntityType;
import dev.keel.KeelOptions;
import dev.keel.server.ops.MetricsRoutes;
import dev.keel.server.ops.ProbeRoutes;
import dev.keel.server.ops.ServerOps;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
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
 * <p>Shutdown ({@link #close()}, or SIGTERM through {@code keel serve} and
 * {@link dev.keel.server.ops.ShutdownSignals}): the phase moves to SHUTTING_DOWN (readiness answers
 * 503, liveness 200), new requests get 503 {@code shutting-down} (the probes and {@code /metrics}
 * still answer), requests that arrived before get up to {@link ServerConfig#shutdownDrain()} to be
 * answered completely, then the database is closed cleanly (which checkpoints) and the port is
 * released. The port keeps accepting during the drain, so a late client gets a 503 with
 * {@code Retry-After} rather than a refused connection.
 *
 * <p>Operations ({@link ServerOps}): HTTPS only when a keystore is configured; bearer tokens on
 * every path but {@code /health*}; an access log; {@link ServerConfig#requestTimeout()} bounds a
 * connection's idle time and a request's wait for a schema change, not a database operation that
 * has begun. Thread-safe.
 */
public final class KeelServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeelServer.class);

    private final ServerConfig config;
    private final DatabaseHolder database;
    private final Javalin app;
    private final PrometheusMeterRegistry metrics;
    private final ServerOps ops;
    private volatile boolean closed;

    private KeelServer(ServerConfig config, DatabaseHolder database, Javalin app, PrometheusMeterRegistry metrics,
            ServerOps ops) {
        this.config = config;
        this.database = database;
        this.app = app;
        this.metrics = metrics;
        this.ops = ops;
    }

    /**
     * Binds the port and starts opening the database; returns once the port listens (the database
     * may still be opening).
     *
     * @throws IllegalArgumentException when the configuration is unsafe (a non-loopback host without
     *         tokens) or a file it names is unusable (a TLS keystore that does not open with its
     *         password is refused before anything binds or opens)
     */
    public static KeelServer start(ServerConfig config) {
        return start(config, b -> b, List.of());
    }

    /** {@link #start(ServerConfig)} with extra database options and route modules; for tests in this package. */
    static KeelServer start(ServerConfig config, UnaryOperator<KeelOptions.Builder> extraOptions,
            List<RouteModule> extraModules) {
        Objects.requireNonNull(config, "config");
        if (config.tokens().isEmpty() && !config.loopbackOnly()) {
            throw new IllegalArgumentException("refusing to listen on " + config.host() + " without authentication:"
                    + " anyone who can reach it could read and change the data. Configure tokens (--token-file or"
                    + " KEEL_TOKENS) or bind 127.0.0.1");
        }
        List<EntityType> declared = dev.keel.server.schema.SchemaDocument.load(config.schemaFile());
        ObjectMapper json = JsonMappers.forConfig(config);
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ServerOps ops = ServerOps.prepare(config, metrics);
        DatabaseHolder database = new DatabaseHolder(config.dataDirectory(), declared,
                b -> extraOptions.apply(b.durability(config.durability())
                        .idempotencyKeyTtl(config.idempotencyKeyTtl())), config.requestTimeout());
        ServerContext context = new ServerContext(config, database, json, metrics);
        List<RouteModule> modules = new ArrayList<>();
        // Route modules, one line each.
        modules.add(new ProbeRoutes());
        modules.add(new MetricsRoutes());
        modules.add(new dev.keel.server.api.EntityRoutes());
        modules.add(new dev.keel.server.api.ListRoutes());
        modules.add(new dev.keel.server.api.TransactionRoutes());
        modules.add(new dev.keel.server.schema.SchemaRoutes());
        modules.addAll(extraModules);
        try {
            Javalin app = Javalin.create(cfg -> {
                ops.configure(cfg, context);
                configure(cfg, context, modules);
            }).start(config.host(), config.port());
            KeelServer server = new KeelServer(config, database, app, metrics, ops);
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
        cfg.jetty.modifyServer(server -> server.setErrorHandler(new JettyProblemErrors()));
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

    /**
     * Shuts down gracefully: SHUTTING_DOWN, new requests refused with 503, up to {@code drain} for the
     * requests that arrived before to be answered completely, then the database is closed (a clean
     * close checkpoints) and the port is released. A request still running when {@code drain} ends
     * fails when the database closes under it; it is not acknowledged. Returns when the port is
     * released; idempotent (a second call returns at once, or after the first finished).
     *
     * @throws dev.keel.KeelException closing the database reported an error (the port is released anyway)
     */
    public synchronized void shutdown(Duration drain) {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + Math.max(0, drain.toNanos());
        database.beginShutdown();
        long arrived = ops.requests().arrivals();
        LOG.info("shutting down: waiting up to {} ms for {} request(s) in flight", drain.toMillis(),
                ops.requests().active());
        try {
            try {
                if (!ops.requests().awaitArrivedUpTo(arrived, deadline)) {
                    LOG.warn("{} request(s) still running after the {} ms drain; closing the database under them (they"
                            + " are not acknowledged)", ops.requests().active(), drain.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            database.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } finally {
            app.stop();
            metrics.close();
        }
    }
}
