package dev.keel.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counters, the armed {@link FaultPlan} and the disk-space budget of one {@link FaultyFileIO}.
 * Not thread-safe: guarded by the owning FaultyFileIO's monitor.
 */
final class FaultInjector {
    private static final long UNLIMITED = -1;

    private final Map<IoOp, Long> counts = new EnumMap<>(IoOp.class);
    private long total;
    private FaultPlan plan;
    private long planMatches;
    private long faultsInjected;
    private long bytesLeft = UNLIMITED;

    /** Counts one operation and throws if the armed plan says it fails. */
    void beforeOperation(IoOp operation, Path... paths) throws InjectedFaultException {
        counts.merge(operation, 1L, Long::sum);
        total++;
        if (plan != null && plan.matches(operation, paths)) {
            planMatches++;
            if (plan.fails(planMatches)) {
                faultsInjected++;
                throw new InjectedFaultException(operation, planMatches, paths[0]);
            }
        }
    }

    long total() {
        return total;
    }

    long count(IoOp operation) {
        return counts.getOrDefault(operation, 0L);
    }

    void arm(FaultPlan newPlan) {
        plan = newPlan;
        planMatches = 0;
    }

    long planMatches() {
        return planMatches;
    }

    long faultsInjected() {
        return faultsInjected;
    }

    void limitDiskSpace(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative, got " + bytes);
        }
        bytesLeft = bytes;
    }

    void unlimitDiskSpace() {
        bytesLeft = UNLIMITED;
    }

    /** Bytes that may still be written, or {@code Long.MAX_VALUE} if no limit is set. */
    long bytesLeft() {
        return bytesLeft == UNLIMITED ? Long.MAX_VALUE : bytesLeft;
    }

    /** Takes up to {@code requested} bytes from the budget; returns how many may be written. */
    int reserve(int requested) {
        if (bytesLeft == UNLIMITED) {
            return requested;
        }
        int granted = (int) Math.min(requested, bytesLeft);
        bytesLeft -= granted;
        return granted;
    }

    static IOException diskFull(Path path, long position, int written, int requested) {
        return new IOException("No space left on device (simulated: wrote " + written + " of "
                + requested + " bytes to " + path + " at offset " + position + ")");
    }

    /** Back to a fresh state: counters zero, no plan, no disk limit. */
    void reset() {
        counts.clear();
        total = 0;
        plan = null;
        planMatches = 0;
        faultsInjected = 0;
        bytesLeft = UNLIMITED;
    }
}
