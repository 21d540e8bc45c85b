package dev.keel.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Command-line options of {@link PeerBenchmark}; see {@link #USAGE} for each option and its default.
 * Counts accept underscores or commas ({@code 1_000_000}) and the suffixes k and m.
 */
record BenchOptions(
        Set<Bench> benches,
        List<StoreKind> stores,
        int entities,
        int batch,
        int reads,
        int commits,
        int concurrentCommits,
        int threads,
        int fsyncWrites,
        int indexEntities,
        int indexBatch,
        int indexCommits,
        int lookups,
        int scans,
        int warmupOps,
        int repetitions,
        Duration maxPhase,
        Path dataDir,
        Path out,
        List<String> arguments) {

    static final String USAGE = """
            Usage: PeerBenchmark [options]
              --bench LIST          measurements, comma-separated: fsync,commit,concurrent,load,read,reopen,heap,
                                    index
                                    (default all)
              --stores LIST         keeldb,sqlite,rocksdb,lmdb (default all; KeelDB/peer ratios need keeldb)
              --entities N          data set size for load/read/reopen/heap (default 1m)
              --batch N             entities per bulk-load transaction (default 1000)
              --reads N             random point reads (default 1m)
              --commits N           single-thread durable commits (default 10k)
              --concurrent-commits N  total durable commits across the threads (default 40k)
              --threads N           committing threads for 'concurrent' and parallel fsync (default 8)
              --fsync-writes N      4 KiB write+fdatasync operations per fsync case (default 10k)
              --index-entities N    rows loaded per index count (0, 1, 3) in 'index' (default 1m)
              --index-batch N       rows per durable transaction of that load (default 100)
              --index-commits N     rows then inserted one durable commit each (default 2000)
              --lookups N           timed indexed equality lookups in 'index' (default 200k)
              --scans N             timed 100-row range scans in 'index', per query (default 20k)
              --warmup N            unmeasured operations before each timed phase; before a load, a
                                    load of N entities into a scratch directory (default 2000)
              --reps N              repetitions; the median run is reported (default 3)
              --max-seconds S       time limit of one timed commit/read/fsync phase (default 120)
              --data-dir DIR        where databases are created, then deleted; must be on the disk
                                    under test (default keel-bench/target/bench-data)
              --out FILE            also write the Markdown report to FILE
              --smoke               small sizes to check that everything runs: 10k entities and
                                    reads, 500 commits, 2k concurrent commits, 1k fsyncs; index: 10k
                                    rows, 200 commits, 2k lookups, 500 scans; warm-up 200,
                                    1 repetition, 30 s phases (later options still apply)
              --help                this text
            """;

    static BenchOptions parse(String... args) {
        Set<Bench> benches = EnumSet.allOf(Bench.class);
        List<StoreKind> stores = StoreKind.all();
        int entities = 1_000_000;
        int batch = 1_000;
        int reads = 1_000_000;
        int commits = 10_000;
        int concurrentCommits = 40_000;
        int threads = 8;
        int fsyncWrites = 10_000;
        int indexEntities = 1_000_000;
        int indexBatch = 100;
        int indexCommits = 2_000;
        int lookups = 200_000;
        int scans = 20_000;
        int warmup = 2_000;
        int reps = 3;
        Duration maxPhase = Duration.ofSeconds(120);
        Path dataDir = Path.of("keel-bench", "target", "bench-data");
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (name.equals("--help") || name.equals("-h")) {
                throw new UsageException(null);
            }
            if (name.equals("--smoke")) {
                entities = 10_000;
                reads = 10_000;
                commits = 500;
                concurrentCommits = 2_000;
                fsyncWrites = 1_000;
                indexEntities = 10_000;
                indexCommits = 200;
                lookups = 2_000;
                scans = 500;
                warmup = 200;
                reps = 1;
                maxPhase = Duration.ofSeconds(30);
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("option " + name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "--bench" -> benches = parseBenches(value);
                case "--stores" -> stores = parseStores(value);
                case "--entities" -> entities = count(name, value, 1);
                case "--batch" -> batch = count(name, value, 1);
                case "--reads" -> reads = count(name, value, 1);
                case "--commits" -> commits = count(name, value, 1);
                case "--concurrent-commits" -> concurrentCommits = count(name, value, 1);
                case "--threads" -> threads = count(name, value, 1);
                case "--fsync-writes" -> fsyncWrites = count(name, value, 1);
                case "--index-entities" -> indexEntities = count(name, value, IndexBenchmark.SCAN_ROWS);
                case "--index-batch" -> indexBatch = count(name, value, 1);
                case "--index-commits" -> indexCommits = count(name, value, 0);
                case "--lookups" -> lookups = count(name, value, 1);
                case "--scans" -> scans = count(name, value, 1);
                case "--warmup" -> warmup = count(name, value, 0);
                case "--reps" -> reps = count(name, value, 1);
                case "--max-seconds" -> maxPhase = Duration.ofSeconds(count(name, value, 1));
                case "--data-dir" -> dataDir = Path.of(value);
                case "--out" -> out = Path.of(value);
                default -> throw new UsageException("unknown option " + name);
            }
        }
        return new BenchOptions(benches, stores, entities, batch, reads, commits, concurrentCommits, threads,
                fsyncWrites, indexEntities, indexBatch, indexCommits, lookups, scans, warmup, reps, maxPhase, dataDir, out, List.of(args));
    }

    boolean runs(Bench bench) {
        return benches.contains(bench);
    }

    boolean needsDataset() {
        return benches.stream().anyMatch(Bench::needsDataset);
    }

    private static Set<Bench> parseBenches(String list) {
        Set<Bench> result = EnumSet.noneOf(Bench.class);
        for (String id : list.split(",")) {
            if (!id.isBlank()) {
                result.add(Bench.byId(id.trim()));
            }
        }
        if (result.isEmpty()) {
            throw new UsageException("--bench names no benchmark");
        }
        return result;
    }

    private static List<StoreKind> parseStores(String list) {
        List<StoreKind> result = new ArrayList<>();
        for (StoreKind k : StoreKind.all()) { // keep the canonical order, KeelDB first
            for (String id : list.split(",")) {
                if (id.trim().equalsIgnoreCase(k.id()) && !result.contains(k)) {
                    result.add(k);
                }
            }
        }
        for (String id : list.split(",")) {
            if (!id.isBlank()) {
                StoreKind.byId(id.trim()); // rejects unknown names
            }
        }
        if (result.isEmpty()) {
            throw new UsageException("--stores names no store");
        }
        return List.copyOf(result);
    }

    private static int count(String option, String value, int min) {
        String v = value.replace("_", "").replace(",", "").trim().toLowerCase();
        long multiplier = 1;
        if (v.endsWith("k")) {
            multiplier = 1_000;
            v = v.substring(0, v.length() - 1);
        } else if (v.endsWith("m")) {
            multiplier = 1_000_000;
            v = v.substring(0, v.length() - 1);
        }
        long n;
        try {
            n = Long.parseLong(v) * multiplier;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " expects a count, was '" + value + "'");
        }
        if (n < min || n > Integer.MAX_VALUE) {
            throw new UsageException(option + " must be between " + min + " and " + Integer.MAX_VALUE + ", was " + value);
        }
        return (int) n;
    }

    /** A bad command line; the message (if any) is printed above {@link #USAGE}. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
