package dev.keel.internal.util;

import java.time.Instant;
import java.time.InstantSource;

/**
 * The default clock for durations (boot budgets, uptime, checkpoint age): wall-clock time at
 * creation plus {@link System#nanoTime()} since, so durations measured with it never jump when the
 * system clock is set. Tests pass their own {@link InstantSource} instead.
 */
public final class MonotonicClock implements InstantSource {
    /** The one instance. */
    public static final MonotonicClock INSTANCE = new MonotonicClock();

    private final Instant origin = Instant.now();
    private final long originNanos = System.nanoTime();

    private MonotonicClock() {
    }

    @Override
    public Instant instant() {
        return origin.plusNanos(System.nanoTime() - originNanos);
    }
}
