package dev.keel.server.ops;

import dev.keel.BootPhase;
import dev.keel.server.ApiException;
import dev.keel.server.DatabaseHolder;
import dev.keel.server.ServerConfig;
import dev.keel.server.ServerContext;
import io.javalin.config.JavalinConfig;
import io.javalin.config.JavalinState;
import io.javalin.http.Context;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.KeyStore;

/**
 * The operational frame around the route modules of a {@link dev.keel.server.KeelServer}, set up
 * before them:
 *
 * <ul>
 *   <li>the listening connector, HTTP or HTTPS only ({@link Connectors}), whose idle timeout is
 *       {@link ServerConfig#requestTimeout()};</li>
 *   <li>the {@link RequestTracker} around everything (requests in flight for the shutdown drain,
 *       the request timer, the {@link AccessLog});</li>
 *   <li>the token check ({@link BearerAuth}), the first before-handler;</li>
 *   <li>while shutting down, every new request except the probes and {@code /metrics} is answered
 *       503 {@code shutting-down} before it reaches a route.</li>
 * </ul>
 *
 * <p>What the request timeout bounds: (1) the connection's idle time (a client that stalls while
 * sending or receiving); (2) how long a request waits in {@link DatabaseHolder#withDatabase} for a
 * schema change holding the database (then 503 {@code timeout}). It does not bound a database
 * operation that has begun: a commit waiting for a slow disk is not abandoned, since an answer
 * before it is durable could only be a lie (the health's log component reports slow syncs).
 */
public final class ServerOps {
    private final ServerConfig config;
    private final KeyStore keystore;
    private final RequestTracker requests;
    private final BearerAuth auth;

    private ServerOps(ServerConfig config, KeyStore keystore, RequestTracker requests, BearerAuth auth) {
        this.config = config;
        this.keystore = keystore;
        this.requests = requests;
        this.auth = auth;
    }

    /**
     * Checks what must be right before anything binds or opens (the TLS keystore and its password)
     * and prepares the request tracking on {@code metrics}.
     *
     * @throws IllegalArgumentException the keystore cannot be used, saying why
     */
    public static ServerOps prepare(ServerConfig config, MeterRegistry metrics) {
        KeyStore keystore = config.tlsKeystore() == null ? null
                : Connectors.loadKeystore(config.tlsKeystore(), config.tlsKeystorePassword());
        return new ServerOps(config, keystore, new RequestTracker(metrics, config.accessLog() ? new AccessLog() : null),
                new BearerAuth(config.tokens()));
    }

    /** Installs the frame into {@code cfg}; call before the route modules register. */
    public void configure(JavalinConfig cfg, ServerContext context) {
        cfg.jetty.modifyServer(server -> server.setHandler(requests));
        cfg.jetty.addConnector((server, http) -> Connectors.create(server, http, config.host(), config.port(),
                config.requestTimeout(), keystore, config.tlsKeystorePassword()));
        JavalinState javalin = cfg.unsafe;
        cfg.requestLogger.http((ctx, millis) -> RequestTracker.tagRoute(ctx, javalin));
        DatabaseHolder database = context.database();
        cfg.routes.before(ctx -> {
            auth.check(ctx);
            refuseWhileShuttingDown(ctx, database);
        });
    }

    /** The requests in flight, for the shutdown drain. */
    public RequestTracker requests() {
        return requests;
    }

    private static void refuseWhileShuttingDown(Context ctx, DatabaseHolder database) {
        if (database.shuttingDown() && !AccessLog.isProbe(ctx.path()) && !ctx.path().equals("/metrics")) {
            throw new ApiException(503, "shutting-down", "Shutting down", "the server is shutting down and takes no"
                    + " new requests; retry against another instance or after it restarted")
                    .with("phase", BootPhase.SHUTTING_DOWN.name()).header("Retry-After", "5")
                    .header("Connection", "close");
        }
    }
}
