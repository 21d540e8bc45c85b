package dev.keel.server;

import dev.keel.BootPhase;
import dev.keel.BootProgress;
import dev.keel.EntityType;
import dev.keel.Health;
import dev.keel.KeelBoot;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's database through its whole life: opening in the background (so probes answer while
 * recovery runs), serving, reopening under a new schema, shutting down.
 *
 * <p>Requests use the database only inside {@link #withDatabase}, which holds a read lock: many at
 * once. A schema change ({@link #reopen}) and {@link #close} take the write lock, so they wait for
 * the requests in flight and hold new ones back (those wait up to the request timeout, then get 503).
 * Before the database is ready, and after shutdown began, {@link #withDatabase} answers 503 with the
 * boot phase and progress at once.
 *
 * <p>Thread-safe.
 */
public final class DatabaseHolder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseHolder.class);

    private final Path directory;
    private final UnaryOperator<KeelOptions.Builder> options;
    private final Duration waitForLock;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile KeelBoot boot;
    private volatile boolean shuttingDown;
    private volatile boolean closed;

    /**
     * Starts opening {@code directory} at once, in the background.
     *
     * @param options adds the server's settings (durability, ...) to a builder already holding the types
     * @param declared the entity types to open with (empty: serve the stored schema)
     * @param waitForLock how long a request waits for a schema change to finish before 503
     */
    public DatabaseHolder(Path directory, List<EntityType> declared, UnaryOperator<KeelOptions.Builder> options,
            Duration waitForLock) {
        this.directory = directory;
        this.options = options;
        this.waitForLock = waitForLock;
        this.boot = startBoot(declared);
    }

    private KeelBoot startBoot(List<EntityType> declared) {
        KeelOptions.Builder b = KeelOptions.builder();
        declared.forEach(b::entityType);
        return KeelBoot.start(directory, options.apply(b).build());
    }

    /** The database directory. */
    public Path directory() {
        return directory;
    }

    /** The phase: the boot's or database's, SHUTTING_DOWN once shutdown began, CLOSED after. */
    public BootPhase phase() {
        if (closed) {
            return BootPhase.CLOSED;
        }
        return shuttingDown ? BootPhase.SHUTTING_DOWN : boot.phase();
    }

    /** Where opening is (100% once open). */
    public BootProgress progress() {
        return boot.progress();
    }

    /** The database's health, or the boot's while opening. */
    public Health health() {
        return boot.health();
    }

    /** Why opening failed, if it did. */
    public Optional<Throwable> failure() {
        return boot.failure();
    }

    /** True once shutdown began: readiness goes false and new requests get 503. */
    public boolean shuttingDown() {
        return shuttingDown || closed;
    }

    /** Marks the start of a graceful shutdown; requests in flight go on. */
    public void beginShutdown() {
        shuttingDown = true;
    }

    /** The open database, if it is open (for metrics and probes; requests use {@link #withDatabase}). */
    public Optional<KeelDb> database() {
        KeelBoot b = boot;
        if (!b.isDone() || b.failure().isPresent()) {
            return Optional.empty();
        }
        return b.await(Duration.ZERO);
    }

    /**
     * Runs {@code work} on the open database.
     *
     * @throws ApiException 503 {@code not-ready} while opening or after a failed open,
     *         {@code shutting-down} after shutdown began, {@code timeout} when a schema change held it
     *         longer than the request timeout
     */
    public <T> T withDatabase(Function<KeelDb, T> work) {
        if (shuttingDown()) {
            throw shuttingDownProblem();
        }
        try {
            if (!lock.readLock().tryLock(waitForLock.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ApiException(503, "timeout", "Busy", "a schema change is being applied and took longer than"
                        + " the request timeout; retry shortly").header("Retry-After", "1");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "shutting-down", "Shutting down", "the request was interrupted");
        }
        try {
            if (shuttingDown()) {
                throw shuttingDownProblem();
            }
            return work.apply(requireOpen());
        } finally {
            lock.readLock().unlock();
        }
    }

    private KeelDb requireOpen() {
        KeelBoot b = boot;
        Optional<Throwable> failed = b.failure();
        if (failed.isPresent()) {
            throw new ApiException(503, "not-ready", "Not ready", "the database failed to open: "
                    + failed.get().getMessage() + ". See GET /health; the server must be restarted after the cause is"
                    + " fixed").with("phase", BootPhase.FAILED.name());
        }
        if (!b.isDone()) {
            BootProgress p = b.progress();
            throw new ApiException(503, "not-ready", "Not ready", "the database is opening (phase " + p.phase()
                    + String.format(Locale.ROOT, ", %.1f%%", p.percent()) + "); retry when GET /health/ready answers 200")
                    .with("phase", p.phase().name()).with("percent", p.percent()).header("Retry-After", "1");
        }
        return b.await();
    }

    private static ApiException shuttingDownProblem() {
        return new ApiException(503, "shutting-down", "Shutting down", "the server is shutting down; retry against"
                + " another instance or after it restarted").with("phase", BootPhase.SHUTTING_DOWN.name())
                .header("Retry-After", "5");
    }

    /**
     * Closes the database and opens it again declaring {@code declared}, which runs the Migrate phase
     * exactly as {@link KeelDb#open} does. Requests wait meanwhile. If the new schema fails to open
     * (an incompatible change, data breaking a new rule), the database is opened again with
     * {@code previous} and the failure is thrown: nothing of the refused change is kept.
     */
    public void reopen(List<EntityType> declared, List<EntityType> previous) {
        lock.writeLock().lock();
        try {
            if (shuttingDown()) {
                throw shuttingDownProblem();
            }
            KeelDb db = requireOpen();
            db.close();
            KeelBoot next = startBoot(declared);
            try {
                next.await();
                boot = next;
            } catch (RuntimeException e) {
                LOG.info("schema change refused, reopening with the previous schema: {}", e.getMessage());
                boot = startBoot(previous);
                boot.await();
                throw e;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Waits up to {@code drain} for requests in flight, then closes the database (a clean close
     * checkpoints). Idempotent. After the bound it closes anyway: a request still running then fails
     * and was not acknowledged, and every acknowledged write is already durable.
     */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /**
     * See {@link #close()}. {@code drain} bounds the whole wait: for requests inside
     * {@link #withDatabase} or a schema change to finish, and for a database still opening. A
     * database still opening when the bound ends (a long recovery) is closed as soon as its open
     * finishes, on a background thread; this returns without waiting for it (stopping the process
     * meanwhile is safe: the next start recovers again).
     *
     * @throws dev.keel.KeelException closing the database reported an error
     */
    public void close(Duration drain) {
        shuttingDown = true;
        long deadline = System.nanoTime() + Math.max(0, drain.toNanos());
        boolean locked = false;
        try {
            locked = lock.writeLock().tryLock(Math.max(0, drain.toNanos()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (!locked) {
                LOG.warn("requests still use the database after the {} ms drain; closing it anyway (they are not"
                        + " acknowledged)", drain.toMillis());
            }
            KeelBoot b = boot;
            if (!b.isDone()) {
                awaitOpen(b, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            if (!b.isDone()) {
                LOG.warn("database {} is still opening ({}); it will be closed as soon as its open finishes", directory,
                        b.progress().phase());
                closeWhenOpen(b);
            } else if (b.failure().isEmpty()) {
                b.await().close();
            }
        } finally {
            if (locked) {
                lock.writeLock().unlock();
            }
        }
    }

    private static void awaitOpen(KeelBoot b, Duration timeout) {
        try {
            b.await(timeout);
        } catch (RuntimeException e) {
            LOG.debug("open failed while shutting down", e);
        }
    }

    private void closeWhenOpen(KeelBoot b) {
        Thread t = new Thread(() -> {
            try {
                b.await().close();
            } catch (RuntimeException e) {
                LOG.debug("open failed while shutting down", e);
            }
        }, "keel-close-after-open " + directory);
        t.setDaemon(true);
        t.start();
    }
}
