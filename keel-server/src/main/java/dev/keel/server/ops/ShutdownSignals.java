package dev.keel.server.ops;

import dev.keel.server.KeelServer;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT handling for a server that owns its process ({@code keel serve} calls
 * {@link #install}).
 *
 * <ol>
 *   <li>The first SIGTERM or SIGINT starts {@link KeelServer#close()} on a thread of its own: the
 *       phase becomes SHUTTING_DOWN (readiness answers 503, liveness 200), new requests get 503
 *       {@code shutting-down}, requests in flight get up to {@link
 *       dev.keel.server.ServerConfig#shutdownDrain()} to finish, the database is closed cleanly
 *       (with a checkpoint, so the next start replays nothing) and the port is released. Then the
 *       process exits with status 128 + the signal number (143 for TERM, 130 for INT, as a process
 *       ended by the signal), or 1 when closing reported an error (logged).</li>
 *   <li>A second SIGTERM or SIGINT while that runs halts the process at once ({@link Runtime#halt},
 *       status 128 + the signal number) without closing the database.</li>
 *   <li>A watchdog halts the process (status 1) when the graceful shutdown has not finished within
 *       the drain plus {@link #CLOSE_ALLOWANCE} for closing the database.</li>
 * </ol>
 *
 * <p>Halting loses nothing acknowledged: every write answered 2xx was durable before its answer was
 * sent, and requests cut short were never acknowledged. It skips the clean close's checkpoint, so
 * the next start replays the log written since the last one.
 *
 * <p>Also installs a JVM shutdown hook that closes the server gracefully when the JVM exits for any
 * other reason ({@link System#exit}, SIGHUP). Signals are caught through {@code sun.misc.Signal}
 * (module jdk.unsupported, present in every usual JDK), reached reflectively; where it is missing
 * only the shutdown hook is installed, and the log says so.
 */
public final class ShutdownSignals {
    /** Time allowed after the drain for closing the database before the watchdog halts the process. */
    public static final Duration CLOSE_ALLOWANCE = Duration.ofSeconds(20);
    private static final Logger LOG = LoggerFactory.getLogger(ShutdownSignals.class);

    private final KeelServer server;
    private final AtomicInteger received = new AtomicInteger();
    private final CountDownLatch finished = new CountDownLatch(1);

    private ShutdownSignals(KeelServer server) {
        this.server = server;
    }

    /**
     * Installs the handling described in the class comment for {@code server}, which must be the
     * only server of this JVM. Call once, after {@link KeelServer#start}.
     *
     * @return the installed handling (for logs and tests)
     */
    public static ShutdownSignals install(KeelServer server) {
        Objects.requireNonNull(server, "server");
        ShutdownSignals s = new ShutdownSignals(server);
        Runtime.getRuntime().addShutdownHook(new Thread(s::closeFromHook, "keel-shutdown-hook"));
        for (String signal : new String[] {"TERM", "INT"}) {
            if (!s.handle(signal)) {
                LOG.warn("cannot catch SIG{} in this JVM (no sun.misc.Signal, or the signal is ignored); it still"
                        + " closes the server gracefully through the JVM shutdown hook, but a second one cannot stop"
                        + " it at once", signal);
            }
        }
        return s;
    }

    /** Called on the JVM's signal thread. */
    void signalled(String name, int number) {
        int n = received.incrementAndGet();
        if (n == 1) {
            Duration drain = server.config().shutdownDrain();
            LOG.info("SIG{} received: shutting down gracefully, waiting up to {} ms for requests in flight; send it"
                    + " again to stop at once", name, drain.toMillis());
            Thread worker = new Thread(() -> closeAndExit(128 + number), "keel-shutdown");
            worker.start();
            Thread watchdog = new Thread(() -> watch(drain.plus(CLOSE_ALLOWANCE)), "keel-shutdown-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        } else {
            LOG.warn("SIG{} received again: stopping at once. Every acknowledged write is durable; the next start"
                    + " replays the log since the last checkpoint", name);
            halt(128 + number);
        }
    }

    private void closeAndExit(int status) {
        try {
            server.close();
            LOG.info("KeelDB server stopped");
        } catch (RuntimeException | Error e) {
            LOG.error("the server did not close cleanly (acknowledged writes are durable; the next start recovers)", e);
            status = 1;
        } finally {
            finished.countDown();
        }
        Runtime.getRuntime().exit(status);
    }

    private void watch(Duration bound) {
        try {
            if (!finished.await(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.error("graceful shutdown did not finish within {} ms (drain plus {} s to close the database);"
                        + " stopping at once. Every acknowledged write is durable; the next start replays the log",
                        bound.toMillis(), CLOSE_ALLOWANCE.toSeconds());
                halt(1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeFromHook() {
        if (received.get() == 0) {
            try {
                server.close();
            } catch (RuntimeException e) {
                LOG.error("the server did not close cleanly while the JVM exited", e);
            }
        }
    }

    private static void halt(int status) {
        // The log line above must reach its appender before the process ends.
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    /** Routes signal {@code name} to {@link #signalled}; false if signals cannot be caught here. */
    private boolean handle(String name) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            Method getName = signalClass.getMethod("getName");
            Method getNumber = signalClass.getMethod("getNumber");
            Object handler = Proxy.newProxyInstance(ShutdownSignals.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> {
                        if (method.getName().equals("handle") && args != null && args.length == 1) {
                            signalled((String) getName.invoke(args[0]), (Integer) getNumber.invoke(args[0]));
                            return null;
                        }
                        return switch (method.getName()) {
                            case "toString" -> "keel shutdown handler for SIG" + name;
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> null;
                        };
                    });
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("cannot install a handler for SIG{}", name, e);
            return false;
        }
    }
}
