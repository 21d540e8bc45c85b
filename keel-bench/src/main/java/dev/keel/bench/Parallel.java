package dev.keel.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one timed phase on several threads: each thread prepares (opens its session, warms up)
 * untimed, then all start together; the phase lasts from the common start until the last thread's
 * loop ends (closing sessions is not timed).
 */
final class Parallel {
    private Parallel() {
    }

    /** A prepared thread's timed work; closed after timing. */
    interface Worker extends AutoCloseable {
        Latencies measure() throws Exception;

        @Override
        default void close() {
        }
    }

    @FunctionalInterface
    interface Setup {
        Worker prepare(int thread) throws Exception;
    }

    static PhaseResult run(int threads, Setup setup) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch ready = new CountDownLatch(threads);
            CountDownLatch start = new CountDownLatch(1);
            long[] ends = new long[threads];
            List<Future<Latencies>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    Worker worker;
                    try {
                        worker = setup.prepare(thread);
                    } finally {
                        ready.countDown();
                    }
                    try (Worker w = worker) {
                        start.await();
                        Latencies lat = w.measure();
                        ends[thread] = System.nanoTime();
                        return lat;
                    }
                }));
            }
            ready.await();
            long begin = System.nanoTime();
            start.countDown();
            Latencies[] parts = new Latencies[threads];
            for (int t = 0; t < threads; t++) {
                parts[t] = futures.get(t).get(); // get() orders ends[t] before our read of it
            }
            long end = begin;
            for (long e : ends) {
                end = Math.max(end, e);
            }
            return Latencies.merge(end - begin, parts);
        } finally {
            pool.shutdownNow();
        }
    }
}
