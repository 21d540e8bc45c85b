package dev.keel.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Compares KeelDB with SQLite, RocksDB and LMDB in one run and prints a Markdown report (see
 * {@link Report}); {@code --help} lists the options, {@code keel-bench/run.sh} builds and runs it
 * with the JVM flags LMDB needs.
 *
 * <p>Order: the raw fsync cases, then per measurement each repetition runs every store in turn
 * (so drift in the machine affects all stores alike), each in a fresh directory under
 * {@code --data-dir} that is deleted afterwards. A store that fails a measurement is reported and
 * skipped for that measurement's later repetitions; the exit status is then 1.
 */
public final class PeerBenchmark {
    private final BenchOptions options;
    private final Results results = new Results();
    private final Path runDir;

    private PeerBenchmark(BenchOptions options) {
        this.options = options;
        this.runDir = options.dataDir().toAbsolutePath().resolve("run-" + ProcessHandle.current().pid());
    }

    public static void main(String[] args) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (BenchOptions.UsageException | IllegalArgumentException e) {
            if (e.getMessage() != null) {
                System.err.println("error: " + e.getMessage());
            }
            System.err.print(BenchOptions.USAGE);
            System.exit(e.getMessage() == null ? 0 : 2);
            return;
        }
        int status;
        try {
            status = new PeerBenchmark(options).run();
        } catch (Exception e) {
            e.printStackTrace();
            status = 3;
        }
        System.exit(status); // native libraries may leave threads behind
    }

    private int run() throws Exception {
        ZonedDateTime started = ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS);
        Files.createDirectories(runDir);
        Thread cleanup = new Thread(() -> {
            try {
                Files2.deleteRecursively(runDir);
            } catch (IOException e) {
                System.err.println("could not delete " + runDir + ": " + e);
            }
        });
        Runtime.getRuntime().addShutdownHook(cleanup);
        MachineInfo machine = MachineInfo.collect(runDir);
        for (StoreKind k : options.stores()) {
            try {
                results.versions.put(k, k.version().get());
            } catch (RuntimeException | LinkageError e) {
                results.versions.put(k, "unavailable: " + Results.describe(e));
            }
        }
        StringBuilder stores = new StringBuilder();
        results.versions.forEach((k, v) -> stores.append(stores.length() > 0 ? ", " : "").append(k.displayName())
                .append(' ').append(v));
        log("data in " + runDir + "; " + options.repetitions() + " repetition(s); " + stores);

        if (options.runs(Bench.FSYNC)) {
            fsync();
        }
        if (options.runs(Bench.COMMIT)) {
            perStore(Bench.COMMIT, (kind, dir, rep) -> {
                PhaseResult r = CommitBenchmark.singleThread(kind, dir, options);
                results.add(Bench.COMMIT, kind, r);
                return rateLine(r, "commits/s");
            });
        }
        if (options.runs(Bench.CONCURRENT)) {
            perStore(Bench.CONCURRENT, (kind, dir, rep) -> {
                PhaseResult r = CommitBenchmark.concurrent(kind, dir, options);
                results.add(Bench.CONCURRENT, kind, r);
                return rateLine(r, "commits/s (" + options.threads() + " threads)");
            });
        }
        if (options.needsDataset()) {
            perStore(Bench.LOAD, (kind, dir, rep) -> {
                boolean heap = kind == KeelDbStore.KIND && options.runs(Bench.HEAP);
                DatasetBenchmark.Result r = DatasetBenchmark.run(kind, dir, options, heap, 42L + rep);
                results.add(Bench.LOAD, kind, r.load());
                results.add(Bench.REOPEN, kind, new PhaseResult(1, r.reopenNanos(), 0, 0));
                results.add(Bench.READ, kind, r.reads());
                results.diskBytesPerEntity.computeIfAbsent(kind, k -> new java.util.ArrayList<>())
                        .add((double) r.diskBytesAfterLoad() / options.entities());
                if (heap) {
                    results.heapPerEntityAfterLoad.add(r.heapPerEntityAfterLoad());
                    results.heapPerEntityAfterReopen.add(r.heapPerEntityAfterReopen());
                }
                return String.format("load %s records/s, reopen %.1f ms, reads %s%s", rate(r.load().perSecond()),
                        r.reopenNanos() / 1e6, rateLine(r.reads(), "reads/s"),
                        heap ? String.format(", heap %.1f B/entity after load, %.1f after reopen",
                                r.heapPerEntityAfterLoad(), r.heapPerEntityAfterReopen()) : "");
            });
        }
        if (options.runs(Bench.INDEX)) {
            List<StoreKind> kinds = options.stores().stream().filter(IndexBenchmark::supports).toList();
            perStore(Bench.INDEX, kinds, (kind, dir, rep) -> {
                IndexBenchmark.Result r = IndexBenchmark.run(kind, dir, options, 4242L + rep);
                results.addIndex(kind, r);
                StringBuilder line = new StringBuilder();
                for (IndexBenchmark.Figure f : r.figures()) {
                    line.append(line.length() > 0 ? "; " : "").append(f.label()).append(' ')
                            .append(String.format(f.isRate() ? "%,.0f" : "%,.1f", f.value())).append(' ').append(f.unit());
                }
                return line.toString();
            });
        }

        Duration took = Duration.between(started, ZonedDateTime.now());
        String report = Report.render(options, machine, results, started, took);
        System.out.println(report);
        if (options.out() != null) {
            Path out = options.out().toAbsolutePath();
            Files.createDirectories(out.getParent());
            Files.writeString(out, report, StandardCharsets.UTF_8);
            log("report written to " + out);
        }
        Files2.deleteRecursively(runDir);
        Runtime.getRuntime().removeShutdownHook(cleanup);
        return results.failures.isEmpty() ? 0 : 1;
    }

    private void fsync() throws Exception {
        long maxNanos = options.maxPhase().toNanos();
        int threads = options.threads();
        Path dir = runDir.resolve("fsync");
        for (int rep = 1; rep <= options.repetitions(); rep++) {
            Files.createDirectories(dir);
            record(Report.FSYNC_ONE, RawFsync.preallocated(dir, 1, options.fsyncWrites(), maxNanos), rep);
            record(Report.fsyncThreads(threads), RawFsync.preallocated(dir, threads, options.fsyncWrites(), maxNanos), rep);
            record(Report.FSYNC_GROWING, RawFsync.growing(dir, options.fsyncWrites(), maxNanos), rep);
            Files2.deleteRecursively(dir);
        }
    }

    private void record(String fsyncCase, PhaseResult r, int rep) {
        results.fsync.computeIfAbsent(fsyncCase, c -> new java.util.ArrayList<>()).add(r);
        log("fsync " + rep + "/" + options.repetitions() + " " + fsyncCase + ": " + rateLine(r, "syncs/s"));
    }

    @FunctionalInterface
    private interface Measurement {
        /** Runs one repetition for one store in an empty {@code dir}; returns a progress line. */
        String run(StoreKind kind, Path dir, int rep) throws Exception;
    }

    private void perStore(Bench bench, Measurement measurement) throws IOException {
        perStore(bench, options.stores(), measurement);
    }

    private void perStore(Bench bench, List<StoreKind> kinds, Measurement measurement) throws IOException {
        for (int rep = 1; rep <= options.repetitions(); rep++) {
            for (StoreKind kind : kinds) {
                if (results.failed(kind, bench)) {
                    continue;
                }
                Path dir = runDir.resolve(bench.id() + "-" + kind.id() + "-" + rep);
                Files.createDirectories(dir);
                String prefix = bench.id() + " " + rep + "/" + options.repetitions() + " " + kind.displayName() + ": ";
                try {
                    log(prefix + measurement.run(kind, dir, rep));
                } catch (Exception | LinkageError | AssertionError e) {
                    results.fail(kind, bench, e);
                    log(prefix + "FAILED " + Results.describe(e));
                    e.printStackTrace();
                } finally {
                    Files2.deleteRecursively(dir);
                    Files2.deleteRecursively(dir.resolveSibling(dir.getFileName() + "-warmup"));
                }
            }
        }
    }

    private static String rateLine(PhaseResult r, String unit) {
        String text = rate(r.perSecond()) + " " + unit;
        if (r.p50Nanos() > 0) {
            text += String.format(" (p50 %.1f µs, p99 %.1f µs, %d ops)", r.p50Nanos() / 1e3, r.p99Nanos() / 1e3,
                    r.operations());
        }
        return text;
    }

    private static String rate(double perSecond) {
        return String.format("%,.0f", perSecond);
    }

    private static void log(String message) {
        System.err.println("[" + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "] " + message);
    }
}
