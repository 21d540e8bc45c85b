package dev.keel.server.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.BootPhase;
import dev.keel.BootProgress;
import dev.keel.Health;
import dev.keel.server.DatabaseHolder;
import dev.keel.server.RouteModule;
import dev.keel.server.ServerContext;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The Kubernetes probes and the health model. They never need a token, never wait for the database
 * (they read the boot's progress and the database's health, both safe from any thread while it
 * opens) and answer in every phase, shutdown included.
 *
 * <ul>
 *   <li>{@code GET /health/startup}: 503 while the database is opening, 200 once opening finished,
 *       also when it failed: a failed open is reported by readiness, so Kubernetes does not restart
 *       the pod into the same failure again and again.</li>
 *   <li>{@code GET /health/ready}: 200 only when the database is {@code READY}, not unhealthy and the
 *       server is not shutting down.</li>
 *   <li>{@code GET /health/live}: 200 unless the database's storage failed after it was ready (a
 *       restart reopens it and recovers every acknowledged commit); 200 while opening, after a
 *       failed open and while shutting down.</li>
 *   <li>{@code GET /health}: the full model with every component; 200 unless the overall status is
 *       {@code UNHEALTHY} (503).</li>
 * </ul>
 *
 * <p>Every answer has the same body: {@code status} (HEALTHY / DEGRADED / UNHEALTHY), {@code phase},
 * {@code percent}, the three probe answers {@code started}, {@code ready}, {@code live}, the boot's
 * work done and to do ({@code recordsDone}, {@code recordsTotal}, {@code bytesDone},
 * {@code bytesTotal}; totals are -1 until known), {@code elapsedSeconds} (of the boot),
 * {@code etaSeconds} when it can be estimated, {@code uptimeSeconds}, and {@code failure} when
 * opening or the storage failed. {@code /health} adds {@code components}: name, status, detail and
 * values of each (see {@link Health}).
 */
public final class ProbeRoutes implements RouteModule {
    /** The probe paths, open without a token. */
    public static final Set<String> PATHS = Set.of("/health", "/health/live", "/health/ready", "/health/startup");

    @Override
    public void register(JavalinConfig config, ServerContext context) {
        DatabaseHolder db = context.database();
        ObjectMapper json = context.json();
        config.routes.get("/health/startup", ctx -> answer(ctx, json, State.of(db), s -> s.started, false));
        config.routes.get("/health/ready", ctx -> answer(ctx, json, State.of(db), s -> s.ready, false));
        config.routes.get("/health/live", ctx -> answer(ctx, json, State.of(db), s -> s.live, false));
        config.routes.get("/health", ctx -> answer(ctx, json, State.of(db),
                s -> s.health.status() != Health.Status.UNHEALTHY, true));
    }

    private static void answer(Context ctx, ObjectMapper json, State s, Predicate<State> ok, boolean components) {
        ObjectNode body = s.toJson(json, components);
        ctx.status(ok.test(s) ? 200 : 503).header("Cache-Control", "no-store").contentType("application/json")
                .result(body.toString());
    }

    /** One consistent reading of the server's database state. */
    static final class State {
        final BootProgress progress;
        final Health health;
        final BootPhase phase;
        final boolean started;
        final boolean ready;
        final boolean live;
        final String failure;

        private State(DatabaseHolder db) {
            this.progress = db.progress();
            this.health = db.health();
            boolean shuttingDown = db.shuttingDown();
            this.phase = db.phase();
            this.started = !progress.phase().isBooting();
            this.ready = health.ready() && !shuttingDown;
            this.live = health.live();
            this.failure = db.failure().map(ProbeRoutes::describe)
                    .orElseGet(() -> progress.failure() != null ? progress.failure()
                            : health.component("storage").map(c -> c.values().get("failure")).map(String::valueOf)
                                    .orElse(null));
        }

        static State of(DatabaseHolder db) {
            return new State(db);
        }

        ObjectNode toJson(ObjectMapper json, boolean withComponents) {
            ObjectNode o = json.createObjectNode();
            o.put("status", health.status().name());
            o.put("phase", phase.name());
            o.put("percent", Math.round(progress.percent() * 10) / 10.0);
            o.put("started", started);
            o.put("ready", ready);
            o.put("live", live);
            o.put("recordsDone", progress.recordsDone());
            o.put("recordsTotal", progress.recordsTotal());
            o.put("bytesDone", progress.bytesDone());
            o.put("bytesTotal", progress.bytesTotal());
            o.put("elapsedSeconds", seconds(progress.elapsed()));
            if (progress.estimatedTimeToReady() != null && progress.phase().isBooting()) {
                o.put("etaSeconds", seconds(progress.estimatedTimeToReady()));
            }
            o.put("uptimeSeconds", seconds(health.uptime()));
            if (failure != null) {
                o.put("failure", failure);
            }
            if (withComponents) {
                ArrayNode list = o.putArray("components");
                for (Health.Component c : health.components()) {
                    ObjectNode n = list.addObject();
                    n.put("name", c.name());
                    n.put("status", c.status().name());
                    n.put("detail", c.detail());
                    ObjectNode values = n.putObject("values");
                    for (Map.Entry<String, Object> v : c.values().entrySet()) {
                        putValue(values, v.getKey(), v.getValue());
                    }
                }
            }
            return o;
        }
    }

    /** Numbers, booleans and strings as they are; a non-finite double as its name (JSON has no NaN). */
    private static void putValue(ObjectNode o, String name, Object v) {
        if (v == null) {
            o.putNull(name);
        } else if (v instanceof Boolean b) {
            o.put(name, b);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            o.put(name, ((Number) v).longValue());
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isFinite(d)) {
                o.put(name, d);
            } else {
                o.put(name, Double.toString(d));
            }
        } else {
            o.put(name, v.toString());
        }
    }

    private static double seconds(Duration d) {
        return d == null ? 0 : d.toMillis() / 1000.0;
    }

    private static String describe(Throwable t) {
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }
}
