package dev.keel.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Secondary indexes, KeelDB against SQLite with the same indexes and the same rows
 * ({@link IndexedRow}), both with the durability settings of the commit benchmark. For 0, 1
 * ({@code k}) and 3 ({@code k}, {@code name}, {@code age}) indexes, each in a fresh store:
 *
 * <ol>
 *   <li>insert {@code --index-entities} rows in durable transactions of {@code --index-batch};</li>
 *   <li>{@code --index-commits} more rows, one durable commit each (latency percentiles);</li>
 *   <li>close, reopen and time until the first query returns (an indexed lookup of {@code k};
 *       by id when there is no index): KeelDB rebuilds its indexes here, SQLite reads them from
 *       the file; for KeelDB also the used heap per entity after the reopen;</li>
 *   <li>with 3 indexes only: check that each query's plan reads its index (KeelDB
 *       {@code Snapshot.explain}, SQLite {@code EXPLAIN QUERY PLAN}), check a sample of every query
 *       against the rows it must return (fields and ids), then time {@code --lookups} equality
 *       lookups {@code k = ?} of a random loaded value (exactly one row each), and {@code --scans}
 *       of each range query: {@code k >= a AND k < a + 100 ORDER BY k} and
 *       {@code name >= ? ORDER BY name LIMIT 100} (100 rows each).</li>
 * </ol>
 *
 * Every query returns whole rows: KeelDB from a fresh snapshot per query, SQLite from a prepared
 * statement in autocommit. Warm-up: the same run at {@code --warmup} rows into a scratch directory,
 * then {@code --warmup} unmeasured lookups before the timed ones. Timed lookups, scans and
 * single-insert commits stop early at {@code --max-seconds}.
 */
final class IndexBenchmark {
    static final List<Integer> INDEX_COUNTS = List.of(0, 1, 3);
    static final int SCAN_ROWS = 100;
    private static final int VERIFY_LOOKUPS = 1_000;
    private static final int VERIFY_SCANS = 100;

    private IndexBenchmark() {
    }

    /**
     * One figure of one run: a rate ({@code unit} ends in "/s"), a time in ms, or KeelDB's heap
     * bytes per entity; latencies 0 where not recorded.
     */
    record Figure(String label, String unit, double value, long p50Nanos, long p99Nanos) {
        static Figure rate(String label, String unit, PhaseResult r) {
            return new Figure(label, unit, r.perSecond(), r.p50Nanos(), r.p99Nanos());
        }

        boolean isRate() {
            return unit.endsWith("/s");
        }
    }

    /** The figures of one run and the plan of each query. */
    record Result(List<Figure> figures, List<String> plans) {
    }

    static boolean supports(StoreKind kind) {
        return kind == KeelDbStore.KIND || kind == SqliteStore.KIND;
    }

    static String insertLabel(int perCommit, int indexes) {
        return "insert, " + perCommit + " per commit, " + indexes + (indexes == 1 ? " index" : " indexes");
    }

    private static IndexedStore open(StoreKind kind, Path dir, int indexes, IdTable ids, int loaded) throws Exception {
        if (kind == KeelDbStore.KIND) {
            return KeelDbIndexedStore.open(dir, indexes, ids, loaded);
        }
        if (kind == SqliteStore.KIND) {
            return SqliteIndexedStore.open(dir, indexes, loaded);
        }
        throw new IllegalArgumentException("no index benchmark for " + kind.displayName());
    }

    static Result run(StoreKind kind, Path dir, BenchOptions options, long seed) throws Exception {
        if (options.warmupOps() > 0) {
            Path scratch = dir.resolveSibling(dir.getFileName() + "-warmup");
            int rows = Math.max(10 * SCAN_ROWS, options.warmupOps());
            runOnce(kind, scratch, new Sizes(rows, options.indexBatch(), Math.min(options.indexCommits(), rows / 10),
                    rows, rows / 10, 0), options.maxPhase().toNanos(), seed ^ 1);
            Files2.deleteRecursively(scratch);
        }
        Sizes sizes = new Sizes(options.indexEntities(), options.indexBatch(), options.indexCommits(), options.lookups(),
                options.scans(), options.warmupOps());
        return runOnce(kind, dir, sizes, options.maxPhase().toNanos(), seed);
    }

    private record Sizes(int loaded, int batch, int commits, int lookups, int scans, int warmupLookups) {
        Sizes {
            if (loaded < SCAN_ROWS) {
                throw new IllegalArgumentException("the index benchmark needs at least " + SCAN_ROWS + " rows");
            }
        }
    }

    private static Result runOnce(StoreKind kind, Path dir, Sizes sizes, long maxNanos, long seed) throws Exception {
        boolean heap = kind == KeelDbStore.KIND;
        List<Figure> figures = new ArrayList<>();
        List<String> plans = List.of();
        SplittableRandom random = new SplittableRandom(seed);
        int loaded = sizes.loaded();
        IndexedRow.KeyOfK keyOfK = new IndexedRow.KeyOfK(loaded);
        for (int indexes : INDEX_COUNTS) {
            Path d = dir.resolve(indexes + "-indexes");
            Files.createDirectories(d);
            IdTable ids = new IdTable(loaded + sizes.commits());
            figures.addAll(insert(kind, d, indexes, ids, sizes, maxNanos));
            long heapBefore = heap ? Heap.usedAfterGc() : 0;
            long openStart = System.nanoTime();
            try (IndexedStore store = open(kind, d, indexes, ids, loaded)) {
                long key = random.nextLong(loaded);
                if (indexes > 0) {
                    expectOne(store.byK(IndexedRow.kOf(key, loaded)), "k = " + IndexedRow.kOf(key, loaded));
                } else if (store.get(key) == null) {
                    throw new IllegalStateException("key " + key + " was loaded but reads back as missing");
                }
                figures.add(new Figure("open + first query, " + indexes + (indexes == 1 ? " index" : " indexes"), "ms",
                        (System.nanoTime() - openStart) / 1e6, 0, 0));
                if (heap) {
                    figures.add(new Figure("heap after reopen, " + indexes + (indexes == 1 ? " index" : " indexes"),
                            "B/entity", (double) (Heap.usedAfterGc() - heapBefore) / (loaded + sizes.commits()), 0, 0));
                }
                if (indexes == INDEX_COUNTS.get(INDEX_COUNTS.size() - 1)) {
                    plans = store.checkPlans();
                    verify(store, sizes, keyOfK, random);
                    figures.addAll(queries(store, sizes, maxNanos, random));
                }
            }
            Files2.deleteRecursively(d);
        }
        return new Result(figures, plans);
    }

    /**
     * The timed inserts into a fresh store. A method of its own so that no stack slot keeps the
     * closed store reachable during the heap measurement that follows (an interpreted frame's dead
     * locals are still GC roots).
     */
    private static List<Figure> insert(StoreKind kind, Path dir, int indexes, IdTable ids, Sizes sizes, long maxNanos)
            throws Exception {
        int loaded = sizes.loaded();
        try (IndexedStore store = open(kind, dir, indexes, ids, loaded)) {
            long t0 = System.nanoTime();
            for (int first = 0; first < loaded; first += sizes.batch()) {
                store.insertBatch(first, Math.min(sizes.batch(), loaded - first));
            }
            Figure batches = Figure.rate(insertLabel(sizes.batch(), indexes), "entities/s",
                    new PhaseResult(loaded, System.nanoTime() - t0, 0, 0));
            Latencies lat = new Latencies(sizes.commits());
            long begin = System.nanoTime();
            long deadline = begin + maxNanos;
            for (int j = 0; j < sizes.commits() && System.nanoTime() < deadline; j++) {
                long start = System.nanoTime();
                store.insert(loaded + j);
                lat.add(System.nanoTime() - start);
            }
            return List.of(batches, Figure.rate(insertLabel(1, indexes), "entities/s",
                    lat.result(System.nanoTime() - begin)));
        }
    }

    private static List<Figure> queries(IndexedStore store, Sizes sizes, long maxNanos, SplittableRandom random)
            throws Exception {
        int loaded = sizes.loaded();
        for (int i = 0; i < sizes.warmupLookups(); i++) {
            expectOne(store.byK(random.nextLong(loaded)), "warm-up lookup");
        }
        List<Figure> figures = new ArrayList<>();

        Latencies lat = new Latencies(sizes.lookups());
        long begin = System.nanoTime();
        long deadline = begin + maxNanos;
        for (int i = 0; i < sizes.lookups() && System.nanoTime() < deadline; i++) {
            long k = random.nextLong(loaded);
            long t0 = System.nanoTime();
            List<IndexedStore.Hit> hits = store.byK(k);
            lat.add(System.nanoTime() - t0);
            expectOne(hits, "k = " + k);
        }
        figures.add(Figure.rate("lookup k = ? (1 row)", "lookups/s", lat.result(System.nanoTime() - begin)));

        lat = new Latencies(sizes.scans());
        begin = System.nanoTime();
        deadline = begin + maxNanos;
        for (int i = 0; i < sizes.scans() && System.nanoTime() < deadline; i++) {
            long a = random.nextLong(loaded - SCAN_ROWS + 1);
            long t0 = System.nanoTime();
            List<IndexedStore.Hit> hits = store.kRange(a, a + SCAN_ROWS);
            lat.add(System.nanoTime() - t0);
            expectRows(hits, "k in [" + a + ", " + (a + SCAN_ROWS) + ")");
        }
        figures.add(Figure.rate("range k >= a AND k < a + 100 ORDER BY k", "scans/s", lat.result(System.nanoTime() - begin)));

        lat = new Latencies(sizes.scans());
        begin = System.nanoTime();
        deadline = begin + maxNanos;
        for (int i = 0; i < sizes.scans() && System.nanoTime() < deadline; i++) {
            String from = IndexedRow.nameOf(random.nextLong(loaded - SCAN_ROWS + 1));
            long t0 = System.nanoTime();
            List<IndexedStore.Hit> hits = store.nameFrom(from, SCAN_ROWS);
            lat.add(System.nanoTime() - t0);
            expectRows(hits, "name >= " + from);
        }
        figures.add(Figure.rate("range name >= ? ORDER BY name LIMIT 100", "scans/s", lat.result(System.nanoTime() - begin)));
        return figures;
    }

    /**
     * Every query against the rows it must return, field by field and with the store's ids: a
     * sample of lookups and range scans over the loaded rows, and lookups of the single-insert rows.
     */
    private static void verify(IndexedStore store, Sizes sizes, IndexedRow.KeyOfK keyOfK, SplittableRandom random)
            throws Exception {
        int loaded = sizes.loaded();
        for (int i = 0; i < VERIFY_LOOKUPS; i++) {
            long k = random.nextLong(loaded);
            expect(store, store.byK(k), List.of(keyOfK.keyOf(k)), loaded, "k = " + k);
        }
        for (int j = 0; j < Math.min(sizes.commits(), VERIFY_LOOKUPS); j++) {
            long key = loaded + j;
            expect(store, store.byK(key), List.of(key), loaded, "k = " + key + " (single-insert row)");
        }
        for (int i = 0; i < VERIFY_SCANS; i++) {
            long a = random.nextLong(loaded - SCAN_ROWS + 1);
            List<Long> byK = new ArrayList<>();
            List<Long> byName = new ArrayList<>();
            for (long v = a; v < a + SCAN_ROWS; v++) {
                byK.add(keyOfK.keyOf(v));
                byName.add(v);
            }
            expect(store, store.kRange(a, a + SCAN_ROWS), byK, loaded, "k in [" + a + ", " + (a + SCAN_ROWS) + ")");
            expect(store, store.nameFrom(IndexedRow.nameOf(a), SCAN_ROWS), byName, loaded, "name >= " + IndexedRow.nameOf(a));
        }
    }

    private static void expect(IndexedStore store, List<IndexedStore.Hit> actual, List<Long> keys, int loaded,
                               String query) {
        List<IndexedStore.Hit> expected = new ArrayList<>();
        for (long key : keys) {
            expected.add(new IndexedStore.Hit(store.idOf(key), IndexedRow.forKey(key, loaded)));
        }
        if (!expected.equals(actual)) {
            throw new IllegalStateException(query + " returned " + actual.size() + " rows " + abbreviate(actual)
                    + ", expected " + expected.size() + " " + abbreviate(expected));
        }
    }

    private static String abbreviate(List<IndexedStore.Hit> hits) {
        return hits.size() <= 3 ? hits.toString() : hits.subList(0, 3) + "...";
    }

    /** Cheap checks during timing, so that checking does not dominate it. */
    private static void expectOne(List<IndexedStore.Hit> hits, String query) {
        if (hits.size() != 1) {
            throw new IllegalStateException(query + " returned " + hits.size() + " rows, expected 1");
        }
    }

    private static void expectRows(List<IndexedStore.Hit> hits, String query) {
        if (hits.size() != SCAN_ROWS) {
            throw new IllegalStateException(query + " returned " + hits.size() + " rows, expected " + SCAN_ROWS);
        }
    }
}
