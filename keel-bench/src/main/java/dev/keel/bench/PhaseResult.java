package dev.keel.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One timed phase: {@code operations} done in {@code elapsedNanos} of wall-clock time, with the
 * median and 99th-percentile latency of a single operation (0 where latencies were not recorded).
 */
record PhaseResult(long operations, long elapsedNanos, long p50Nanos, long p99Nanos) {

    double perSecond() {
        return elapsedNanos == 0 ? 0 : operations * 1e9 / elapsedNanos;
    }

    double elapsedMillis() {
        return elapsedNanos / 1e6;
    }

    /** The run with the median rate (the lower middle one for an even count), so its latencies go with it. */
    static PhaseResult median(List<PhaseResult> runs) {
        List<PhaseResult> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(PhaseResult::perSecond));
        return sorted.get((sorted.size() - 1) / 2);
    }

    /** The median of plain values (lower middle for an even count). */
    static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[(sorted.length - 1) / 2];
    }
}
