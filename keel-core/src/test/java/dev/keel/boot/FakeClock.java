package dev.keel.boot;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/** A clock tests move by hand, optionally also by a fixed step on every read. */
final class FakeClock implements InstantSource {
    private final AtomicLong nanos = new AtomicLong();
    private volatile long stepNanos;

    @Override
    public Instant instant() {
        return Instant.EPOCH.plusNanos(nanos.getAndAdd(stepNanos));
    }

    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    /** Every later read advances the clock by {@code step}. */
    void stepOnEveryRead(Duration step) {
        stepNanos = step.toNanos();
    }
}
