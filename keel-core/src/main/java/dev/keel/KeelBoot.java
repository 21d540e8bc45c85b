package dev.keel;

import dev.keel.internal.engine.BootSequence;
import dev.keel.internal.engine.Engine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An open running in the background, for callers that must answer questions while it runs: a
 * server's startup, readiness and liveness probes, or a progress display. {@link #start} begins
 * opening on a new thread and returns at once; {@link #progress()}, {@link #phase()} and
 * {@link #health()} may be called from any thread at any time; {@link #await()} returns the open
 * database or throws what made the open fail. A failed open keeps its reason ({@link #failure()})
 * and its health stays "alive, not ready", so a probe does not restart the process into the same
 * failure again and again. Thread-safe.
 */
public final class KeelBoot {
    private final Path directory;
    private final BootSequence boot;
    private final CompletableFuture<KeelDb> result = new CompletableFuture<>();

    private KeelBoot(Path directory, BootSequence boot) {
        this.directory = directory;
        this.boot = boot;
    }

    /** Starts opening {@code directory} on a new (non-daemon) thread named {@code keel-boot}. */
    public static KeelBoot start(Path directory, KeelOptions options) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(options, "options");
        KeelBoot b = new KeelBoot(directory, Engine.newBoot(directory, options));
        Thread t = new Thread(() -> {
            try {
                b.result.complete(KeelDb.of(Engine.open(directory, options, b.boot)));
            } catch (Throwable e) {
                b.result.completeExceptionally(e);
            }
        }, "keel-boot " + directory);
        t.start();
        return b;
    }

    /** The directory being opened. */
    public Path directory() {
        return directory;
    }

    /** The current phase (READY once open; the database's own phase after that). */
    public BootPhase phase() {
        return boot.phase();
    }

    /** Where opening is now. */
    public BootProgress progress() {
        return boot.progress();
    }

    /** Health now: the database's own once open, else "opening" or "failed to open" (alive, not ready). */
    public Health health() {
        if (result.isDone() && !result.isCompletedExceptionally()) {
            return result.join().health();
        }
        return Engine.bootingHealth(boot);
    }

    /** Why opening failed, once it did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(boot.failureCause()).filter(f -> result.isCompletedExceptionally());
    }

    /** True once opening finished, successfully or not. */
    public boolean isDone() {
        return result.isDone();
    }

    /**
     * Waits for the open to finish and returns the database.
     *
     * @throws KeelException (or the JDK exception) that made the open fail, exactly as
     *         {@link KeelDb#open} would have thrown it
     */
    public KeelDb await() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + directory + " to open; it goes on"
                    + " opening in the background", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    /** Like {@link #await()}, waiting at most {@code timeout}; empty if the open is still running. */
    public Optional<KeelDb> await(Duration timeout) {
        try {
            return Optional.of(result.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(cause);
    }
}
