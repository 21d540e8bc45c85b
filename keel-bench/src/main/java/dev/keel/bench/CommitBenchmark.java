package dev.keel.bench;

import java.nio.file.Path;

/**
 * Durable commits of one small entity each, into an empty store: from one thread (rate and latency
 * percentiles) and from N threads at once (total rate; engines with group commit share syncs).
 * Every thread first commits {@code --warmup / threads} unmeasured entities with keys of their own.
 */
final class CommitBenchmark {
    /** Key range of one thread; keeps every key distinct (SQLite's primary key would reject repeats). */
    private static final long THREAD_STRIDE = 1L << 32;
    private static final long WARMUP_BASE = 1L << 48;

    private CommitBenchmark() {
    }

    static PhaseResult singleThread(StoreKind kind, Path dir, BenchOptions options) throws Exception {
        return run(kind, dir, 1, options.commits(), options.warmupOps(), options.maxPhase().toNanos());
    }

    static PhaseResult concurrent(StoreKind kind, Path dir, BenchOptions options) throws Exception {
        return run(kind, dir, options.threads(), options.concurrentCommits(), options.warmupOps(),
                options.maxPhase().toNanos());
    }

    private static PhaseResult run(StoreKind kind, Path dir, int threads, int commits, int warmup, long maxNanos)
            throws Exception {
        int perThread = Math.max(1, commits / threads);
        int warmupPerThread = warmup / threads;
        try (Store store = kind.open(dir, IdTable.NONE)) {
            return Parallel.run(threads, t -> {
                Store.Session session = store.session();
                long base = t * THREAD_STRIDE;
                for (int i = 0; i < warmupPerThread; i++) {
                    session.insert(WARMUP_BASE + base + i, Row.forKey(i));
                }
                return new Parallel.Worker() {
                    @Override
                    public Latencies measure() throws Exception {
                        Latencies lat = new Latencies(perThread);
                        long deadline = System.nanoTime() + maxNanos;
                        for (int i = 0; i < perThread && System.nanoTime() < deadline; i++) {
                            Row row = Row.forKey(base + i);
                            long t0 = System.nanoTime();
                            session.insert(base + i, row);
                            lat.add(System.nanoTime() - t0);
                        }
                        return lat;
                    }

                    @Override
                    public void close() {
                        session.close();
                    }
                };
            });
        }
    }
}
