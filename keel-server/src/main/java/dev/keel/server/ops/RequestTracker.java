package dev.keel.server.ops;

import io.javalin.config.JavalinState;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.javalin.router.ParsedEndpoint;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The outermost Jetty handler: it sees each request from its arrival until its response has been
 * written completely (or failed), whatever the application did meanwhile. For each request it
 *
 * <ul>
 *   <li>keeps it in the set of requests in flight, numbered by arrival, so a graceful shutdown can
 *       wait for exactly the requests that arrived before it began ({@link #awaitArrivedUpTo});</li>
 *   <li>records its time in the timer {@code keel_http_requests_seconds{route,method,status}}, where
 *       {@code route} is the route template ({@code /v1/entities/{type}/{id}}, never the raw path, so
 *       ids do not multiply series) or {@code unmatched}, and {@code method} is one of the standard
 *       methods or {@code OTHER};</li>
 *   <li>writes the access log line ({@link AccessLog}), when enabled.</li>
 * </ul>
 *
 * <p>The route template is known only inside Javalin: {@link #tagRoute} (a Javalin request logger,
 * run after the handlers) stores it as a request attribute. A request refused before routing (401
 * by the token check, 503 while shutting down) is tagged with the route its path would have
 * matched. Also registers the gauge {@code keel_http_requests_active}. Thread-safe.
 */
public final class RequestTracker extends Handler.Wrapper {
    /** Request attribute holding the route template. */
    static final String ROUTE = "dev.keel.server.route";
    static final String UNMATCHED = "unmatched";
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private final MeterRegistry registry;
    private final AccessLog accessLog;
    private final AtomicLong arrivals = new AtomicLong();
    private final ConcurrentSkipListSet<Long> active = new ConcurrentSkipListSet<>();
    private final Object finished = new Object();

    /** {@code accessLog} null: no access log. */
    RequestTracker(MeterRegistry registry, AccessLog accessLog) {
        this.registry = registry;
        this.accessLog = accessLog;
        Gauge.builder("keel.http.requests.active", active, Set::size).description("HTTP requests in flight")
                .register(registry);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long id = arrivals.incrementAndGet();
        active.add(id);
        long start = System.nanoTime();
        AtomicBoolean done = new AtomicBoolean();
        Runnable finish = () -> {
            if (done.compareAndSet(false, true)) {
                finished(id, request, response, start);
            }
        };
        try {
            boolean handled = super.handle(request, response, Callback.from(callback, finish));
            if (!handled) {
                finish.run();
            }
            return handled;
        } catch (Throwable e) {
            finish.run();
            throw e;
        }
    }

    private void finished(long id, Request request, Response response, long start) {
        active.remove(id);
        synchronized (finished) {
            finished.notifyAll();
        }
        long nanos = System.nanoTime() - start;
        Object route = request.getAttribute(ROUTE);
        String method = METHODS.contains(request.getMethod()) ? request.getMethod() : "OTHER";
        int status = response.getStatus();
        Timer.builder("keel.http.requests").description("HTTP requests by route template, method and status")
                .tags("route", route instanceof String r ? r : UNMATCHED, "method", method, "status",
                        Integer.toString(status))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
        if (accessLog != null) {
            accessLog.log(Request.getRemoteAddr(request), request.getMethod(), request.getHttpURI().getPath(), status,
                    nanos, Response.getContentBytesWritten(response));
        }
    }

    /** How many requests have arrived so far; their numbers are 1 to this. */
    public long arrivals() {
        return arrivals.get();
    }

    /** Requests in flight now. */
    public int active() {
        return active.size();
    }

    /**
     * Waits until every request numbered up to {@code arrival} has been answered completely, or
     * {@code deadlineNanos} ({@link System#nanoTime()}) passes. Requests that arrive later do not
     * hold it up.
     *
     * @return true if they all finished, false at the deadline
     */
    public boolean awaitArrivedUpTo(long arrival, long deadlineNanos) throws InterruptedException {
        synchronized (finished) {
            while (true) {
                Long oldest = active.ceiling(Long.MIN_VALUE);
                if (oldest == null || oldest > arrival) {
                    return true;
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(finished, left);
            }
        }
    }

    /**
     * A Javalin request logger that stores the route template of {@code ctx} for the timer: the
     * matched endpoint's path, else the path of the endpoint the request would have matched, else
     * {@code unmatched}.
     */
    static void tagRoute(Context ctx, JavalinState javalin) {
        Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
        String route = matched != null ? matched.path : null;
        if (route == null) {
            try {
                ParsedEndpoint would = javalin.internalRouter.findFirstHttpHandlerEntry(ctx.method(), ctx.path());
                route = would != null ? would.endpoint.path : UNMATCHED;
            } catch (RuntimeException e) {
                route = UNMATCHED;
            }
        }
        ctx.req().setAttribute(ROUTE, route);
    }
}
