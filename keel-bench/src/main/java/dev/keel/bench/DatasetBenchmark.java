package dev.keel.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The data-set pipeline of one store, sharing one load: bulk load of {@code --entities} rows in
 * durable transactions of {@code --batch}; close; reopen and time until the first read returns;
 * then {@code --reads} uniformly random point reads from one thread, each checked against the row
 * it should return. For KeelDB it also measures heap bytes per entity (used heap after
 * {@code System.gc()}, before and after the load, and before and after the reopen).
 *
 * <p>Warm-up: a load of {@code --warmup} rows into a scratch directory, reopened and read
 * {@code --warmup} times, then deleted; and {@code --warmup} unmeasured reads before the timed
 * reads. The reopen runs with the operating system's page cache warm (nothing is dropped).
 */
final class DatasetBenchmark {
    private DatasetBenchmark() {
    }

    /** Heap per entity is NaN when not measured. */
    record Result(PhaseResult load, long diskBytesAfterLoad, long reopenNanos, PhaseResult reads,
                  double heapPerEntityAfterLoad, double heapPerEntityAfterReopen) {
    }

    static Result run(StoreKind kind, Path dir, BenchOptions options, boolean measureHeap, long seed)
            throws Exception {
        if (options.warmupOps() > 0) {
            Path scratch = dir.resolveSibling(dir.getFileName() + "-warmup");
            runOnce(kind, scratch, options.warmupOps(), options.batch(), options.warmupOps(), 0, false,
                    Long.MAX_VALUE, seed ^ 1);
            Files2.deleteRecursively(scratch);
        }
        return runOnce(kind, dir, options.entities(), options.batch(), options.reads(), options.warmupOps(),
                measureHeap, options.maxPhase().toNanos(), seed);
    }

    private static Result runOnce(StoreKind kind, Path dir, int entities, int batch, int reads, int warmupReads,
                                  boolean measureHeap, long maxReadNanos, long seed) throws Exception {
        Files.createDirectories(dir);
        IdTable ids = new IdTable(entities);
        double heapLoad = Double.NaN;
        double heapReopen = Double.NaN;

        long heapBefore = measureHeap ? Heap.usedAfterGc() : 0;
        PhaseResult load;
        try (Store store = kind.open(dir, ids); Store.Session session = store.session()) {
            long t0 = System.nanoTime();
            for (int first = 0; first < entities; first += batch) {
                session.insertBatch(first, Math.min(batch, entities - first));
            }
            load = new PhaseResult(entities, System.nanoTime() - t0, 0, 0);
            if (measureHeap) {
                heapLoad = (double) (Heap.usedAfterGc() - heapBefore) / entities;
            }
        }

        long diskBytes = Files2.sizeInBytes(dir);

        SplittableRandom random = new SplittableRandom(seed);
        heapBefore = measureHeap ? Heap.usedAfterGc() : 0;
        long openStart = System.nanoTime();
        try (Store store = kind.open(dir, ids); Store.Session session = store.session()) {
            check(session, random.nextLong(entities));
            long reopenNanos = System.nanoTime() - openStart;
            if (measureHeap) {
                heapReopen = (double) (Heap.usedAfterGc() - heapBefore) / entities;
            }
            for (int i = 0; i < warmupReads; i++) {
                check(session, random.nextLong(entities));
            }
            Latencies lat = new Latencies(reads);
            long begin = System.nanoTime();
            // Compared as an elapsed time: a deadline of nanoTime() + Long.MAX_VALUE would overflow.
            for (int i = 0; i < reads && System.nanoTime() - begin < maxReadNanos; i++) {
                long key = random.nextLong(entities);
                long t0 = System.nanoTime();
                Row row = session.read(key);
                lat.add(System.nanoTime() - t0);
                verify(key, row);
            }
            PhaseResult readResult = lat.result(System.nanoTime() - begin);
            return new Result(load, diskBytes, reopenNanos, readResult, heapLoad, heapReopen);
        }
    }

    private static void check(Store.Session session, long key) throws Exception {
        verify(key, session.read(key));
    }

    /** Cheap check (age only) so that verification does not dominate the read timing. */
    private static void verify(long key, Row row) {
        if (row == null) {
            throw new IllegalStateException("key " + key + " was loaded but reads back as missing");
        }
        if (row.age() != Row.ageForKey(key)) {
            throw new IllegalStateException("key " + key + " reads back " + row + ", expected " + Row.forKey(key));
        }
    }
}
