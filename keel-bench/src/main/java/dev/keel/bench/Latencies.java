package dev.keel.bench;

import java.util.Arrays;

/** Per-operation latencies of one thread, in nanoseconds; grows as needed. Not thread-safe. */
final class Latencies {
    private long[] nanos;
    private int count;

    Latencies(int expected) {
        this.nanos = new long[Math.max(16, expected)];
    }

    void add(long latencyNanos) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, nanos.length * 2);
        }
        nanos[count++] = latencyNanos;
    }

    int count() {
        return count;
    }

    /** The result of {@code count()} operations that took {@code elapsedNanos} in all. */
    PhaseResult result(long elapsedNanos) {
        return merge(elapsedNanos, this);
    }

    /** The result of several threads' operations over one {@code elapsedNanos} wall-clock interval. */
    static PhaseResult merge(long elapsedNanos, Latencies... parts) {
        int total = 0;
        for (Latencies l : parts) {
            total += l.count;
        }
        long[] all = new long[total];
        int at = 0;
        for (Latencies l : parts) {
            System.arraycopy(l.nanos, 0, all, at, l.count);
            at += l.count;
        }
        Arrays.sort(all);
        return new PhaseResult(total, elapsedNanos, percentile(all, 0.50), percentile(all, 0.99));
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
