package dev.keel.internal.engine;

import java.time.Duration;

/**
 * Projects how long recovery would take if the process died now (log bytes written since the last
 * checkpoint divided by the replay rate) and says when that projection needs a checkpoint: when it
 * passes half of the recovery phase's budget, leaving the other half for loading the checkpoint and
 * for the log written while the checkpoint runs.
 *
 * <p>The rate is the one measured when this database was opened, if enough log was replayed to
 * measure it; else {@link #ASSUMED_BYTES_PER_SECOND}, a deliberately low figure, so the bound errs
 * toward checkpointing early.
 */
final class RecoveryTimeBound {
    /** Replay rate assumed until one was measured: 20 MiB/s (measured rates are several times higher). */
    static final double ASSUMED_BYTES_PER_SECOND = 20.0 * 1024 * 1024;

    private final double bytesPerSecond;
    private final boolean measured;
    private final Duration budget;

    /** {@code measuredBytesPerSecond}: 0 when none was measured; {@code budget}: null when unlimited. */
    RecoveryTimeBound(double measuredBytesPerSecond, Duration budget) {
        this.measured = measuredBytesPerSecond > 0;
        this.bytesPerSecond = measured ? measuredBytesPerSecond : ASSUMED_BYTES_PER_SECOND;
        this.budget = budget;
    }

    Duration projected(long logBytes) {
        return Duration.ofNanos((long) (Math.max(0, logBytes) / bytesPerSecond * 1e9));
    }

    /** True when recovering {@code logBytes} would take more than half the budget. */
    boolean needsCheckpoint(long logBytes) {
        return budget != null && projected(logBytes).compareTo(budget.dividedBy(2)) > 0;
    }

    double bytesPerSecond() {
        return bytesPerSecond;
    }

    boolean measured() {
        return measured;
    }

    Duration budget() {
        return budget;
    }
}
