package dev.keel.bench;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Renders {@link Results} as Markdown: absolute figures per store, KeelDB/peer ratios and, for
 * commits, the ratio to the raw 4 KiB fdatasync rate, plus machine and store information. For
 * rates a KeelDB/peer ratio above 1 means KeelDB is faster; for times, below 1 means KeelDB is faster.
 */
final class Report {
    static final String FSYNC_ONE = "1 thread, preallocated file";
    static final String FSYNC_GROWING = "1 thread, growing file (append)";

    private final BenchOptions options;
    private final MachineInfo machine;
    private final Results results;
    private final StoreKind keel;
    private final StringBuilder md = new StringBuilder();

    private Report(BenchOptions options, MachineInfo machine, Results results) {
        this.options = options;
        this.machine = machine;
        this.results = results;
        this.keel = options.stores().contains(KeelDbStore.KIND) ? KeelDbStore.KIND : null;
    }

    static String fsyncThreads(int threads) {
        return threads + " threads, preallocated file each";
    }

    static String render(BenchOptions options, MachineInfo machine, Results results, ZonedDateTime started,
                         Duration took) {
        return new Report(options, machine, results).build(started, took);
    }

    private String build(ZonedDateTime started, Duration took) {
        line("# KeelDB peer benchmark");
        line("");
        line("Run " + started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + " (took " + took.toMinutes() + " min "
                + took.toSecondsPart() + " s). Arguments: `" + String.join(" ", options.arguments()) + "`.");
        line("Each figure is the median of " + options.repetitions() + " run(s); every store runs in the same process "
                + "on the same disk, in turn. Warm-up: " + n(options.warmupOps()) + " unmeasured operations per phase. "
                + "KeelDB/peer above 1 means KeelDB is faster for rates, below 1 means faster for times.");
        machine();
        stores();
        fsync();
        commits(Bench.COMMIT, "Durable commits, 1 thread",
                "One small entity per commit, " + n(options.commits()) + " commits.", 1, FSYNC_ONE);
        commits(Bench.CONCURRENT, "Durable commits, " + options.threads() + " threads",
                n(options.concurrentCommits()) + " commits in total, one small entity each, all threads committing at once.",
                options.threads(), fsyncThreads(options.threads()));
        load();
        reads();
        reopen();
        heap();
        index();
        failures();
        return md.toString();
    }

    private void machine() {
        section("Machine");
        line("| | |");
        line("|---|---|");
        line("| CPU | " + machine.cpu() + ", " + machine.cores() + " cores available to the JVM |");
        line("| Memory | " + machine.memory() + " |");
        line("| JVM | " + machine.jvm() + "; max heap " + machine.maxHeap() + "; GC " + machine.gc() + " |");
        line("| JVM flags | `" + machine.jvmFlags() + "` |");
        line("| OS | " + machine.os() + " |");
        line("");
        line("Data directory disk (`df -hT`):");
        line("");
        line("```");
        line(machine.disk());
        line("```");
    }

    private void stores() {
        section("Stores");
        line("| store | version | durability settings |");
        line("|---|---|---|");
        for (StoreKind k : options.stores()) {
            line("| " + k.displayName() + " | " + results.versions.getOrDefault(k, "?") + " | " + k.settings() + " |");
        }
        line("");
        line("Row: name (20-character text), age (long), score (double); key = 8-byte id. Key-value peers store "
                + "the encoded row (38 bytes: 2-byte length, name, 8, 8); SQLite stores a table person(id INTEGER "
                + "PRIMARY KEY, name, age, score); KeelDB an entity type Person(name TEXT, age LONG, score DOUBLE).");
    }

    private void fsync() {
        if (!options.runs(Bench.FSYNC)) {
            return;
        }
        section("Physical limit: 4 KiB write + fdatasync");
        line("`FileChannel.write` of 4 KiB then `force(false)`, " + n(options.fsyncWrites())
                + " operations per case (split across threads), in the data directory.");
        line("");
        line("| case | syncs/s | p50 | p99 |");
        line("|---|---:|---:|---:|");
        for (String c : results.fsync.keySet()) {
            results.fsyncMedian(c).ifPresent(r -> line("| " + c + " | " + rate(r.perSecond()) + " | "
                    + micros(r.p50Nanos()) + " | " + micros(r.p99Nanos()) + " |"));
        }
    }

    private void commits(Bench bench, String title, String what, int threads, String fsyncCase) {
        if (!options.runs(bench)) {
            return;
        }
        section(title);
        line(what);
        line("");
        Optional<PhaseResult> raw = results.fsyncMedian(fsyncCase);
        line("| store | commits/s | p50 | p99 | KeelDB/store | store/raw fsync (" + fsyncCase + ") |");
        line("|---|---:|---:|---:|---:|---:|");
        Optional<PhaseResult> k = keelMedian(bench);
        for (StoreKind s : options.stores()) {
            Optional<PhaseResult> r = results.median(bench, s);
            if (r.isEmpty()) {
                line("| " + s.displayName() + " | failed | | | | |");
                continue;
            }
            PhaseResult p = r.get();
            line("| " + s.displayName() + " | " + rate(p.perSecond()) + " | " + micros(p.p50Nanos()) + " | "
                    + micros(p.p99Nanos()) + " | " + ratio(k.map(PhaseResult::perSecond), p.perSecond()) + " | "
                    + ratio(Optional.of(p.perSecond()), raw.map(PhaseResult::perSecond).orElse(0.0)) + " |");
        }
        if (k.isPresent() && raw.isPresent()) {
            line("");
            line(String.format("KeelDB/raw fsync (%s): **%.2f** (%s commits/s against %s syncs/s).", fsyncCase,
                    k.get().perSecond() / raw.get().perSecond(), rate(k.get().perSecond()), rate(raw.get().perSecond())));
        }
    }

    private void load() {
        if (!options.runs(Bench.LOAD)) {
            return;
        }
        section("Bulk load");
        line(n(options.entities()) + " entities in durable transactions of " + n(options.batch())
                + " from one thread, into an empty store (close not timed).");
        line("");
        line("| store | records/s | time | file bytes/entity after load (incl. preallocated space) | KeelDB/store |");
        line("|---|---:|---:|---:|---:|");
        Optional<PhaseResult> k = keelMedian(Bench.LOAD);
        for (StoreKind s : options.stores()) {
            Optional<PhaseResult> r = results.median(Bench.LOAD, s);
            if (r.isEmpty()) {
                line("| " + s.displayName() + " | failed | | | |");
                continue;
            }
            List<Double> disk = results.diskBytesPerEntity.getOrDefault(s, List.of());
            String diskText = disk.isEmpty() ? "" : String.format("%.1f",
                    PhaseResult.median(disk.stream().mapToDouble(Double::doubleValue).toArray()));
            line("| " + s.displayName() + " | " + rate(r.get().perSecond()) + " | "
                    + String.format("%,.0f ms", r.get().elapsedMillis()) + " | " + diskText + " | "
                    + ratio(k.map(PhaseResult::perSecond), r.get().perSecond()) + " |");
        }
    }

    private void reads() {
        if (!options.runs(Bench.READ)) {
            return;
        }
        section("Random point reads");
        line(n(options.reads()) + " uniformly random reads by id of the " + n(options.entities())
                + " loaded entities, one thread, after a reopen (KeelDB: a fresh snapshot per read).");
        line("");
        line("| store | reads/s | p50 | p99 | KeelDB/store |");
        line("|---|---:|---:|---:|---:|");
        Optional<PhaseResult> k = keelMedian(Bench.READ);
        for (StoreKind s : options.stores()) {
            Optional<PhaseResult> r = results.median(Bench.READ, s);
            if (r.isEmpty()) {
                line("| " + s.displayName() + " | failed | | | |");
                continue;
            }
            PhaseResult p = r.get();
            line("| " + s.displayName() + " | " + rate(p.perSecond()) + " | " + micros(p.p50Nanos()) + " | "
                    + micros(p.p99Nanos()) + " | " + ratio(k.map(PhaseResult::perSecond), p.perSecond()) + " |");
        }
    }

    private void reopen() {
        if (!options.runs(Bench.REOPEN)) {
            return;
        }
        section("Reopen to first read");
        line("Time from the open call to the first read returning, with " + n(options.entities())
                + " entities stored and the operating system's page cache warm.");
        line("");
        line("| store | ms | KeelDB/store (below 1: KeelDB faster) |");
        line("|---|---:|---:|");
        Optional<Double> k = keel == null ? Optional.empty() : results.medianMillis(Bench.REOPEN, keel);
        for (StoreKind s : options.stores()) {
            Optional<Double> r = results.medianMillis(Bench.REOPEN, s);
            line("| " + s.displayName() + " | " + r.map(ms -> String.format("%,.1f", ms)).orElse("failed") + " | "
                    + r.map(ms -> ratio(k, ms)).orElse("") + " |");
        }
    }

    private void heap() {
        if (!options.runs(Bench.HEAP) || keel == null || results.heapPerEntityAfterLoad.isEmpty()) {
            return;
        }
        section("KeelDB heap per entity");
        double payload = Row.forKey(0).payloadBytes();
        line("Used heap after `System.gc()`, before and after, divided by " + n(options.entities())
                + " entities. Payload = bytes of the field values (UTF-8 name + 8 + 8) = " + (int) payload + " bytes.");
        line("");
        line("| when | heap bytes/entity | payload bytes/entity | heap/payload |");
        line("|---|---:|---:|---:|");
        heapRow("after load (database still open)", results.heapPerEntityAfterLoad, payload);
        heapRow("after reopen and first read", results.heapPerEntityAfterReopen, payload);
    }

    private void heapRow(String when, List<Double> values, double payload) {
        if (values.isEmpty()) {
            return;
        }
        double v = PhaseResult.median(values.stream().mapToDouble(Double::doubleValue).toArray());
        line(String.format("| %s | %.1f | %.0f | %.2f |", when, v, payload, v / payload));
    }

    private void index() {
        if (!options.runs(Bench.INDEX) || results.index.isEmpty()) {
            return;
        }
        List<StoreKind> kinds = options.stores().stream().filter(IndexBenchmark::supports).toList();
        StoreKind sqlite = kinds.contains(SqliteStore.KIND) ? SqliteStore.KIND : null;
        section("Secondary indexes" + (keel != null && sqlite != null ? ": KeelDB and SQLite" : ""));
        line("Type/table `Item(k LONG, name TEXT, age INT, score DOUBLE)`; 0 indexes, 1 (`k`) or 3 (`k`, `name`, `age`), "
                + "all non-unique, the same on both sides. Per index count, in a fresh store: " + n(options.indexEntities())
                + " rows in durable transactions of " + n(options.indexBatch()) + ", then " + n(options.indexCommits())
                + " rows one durable commit each; close; reopen to the first query (KeelDB rebuilds its indexes at "
                + "open, SQLite reads them from its file; page cache warm). With 3 indexes: " + n(options.lookups())
                + " lookups `k = ?` of a random loaded value (exactly 1 row each) and " + n(options.scans())
                + " scans of each 100-row range query, whole rows returned (KeelDB: a fresh snapshot per query; SQLite: "
                + "a prepared statement in autocommit). Plans checked to read the index; a sample of every query "
                + "checked row by row, ids included, before timing. Same durability settings as the commit benchmark.");
        line("");
        StringBuilder header = new StringBuilder("| measurement | unit |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (StoreKind k : kinds) {
            header.append(' ').append(k.displayName()).append(" |");
            rule.append("---:|");
        }
        if (keel != null && sqlite != null) {
            header.append(" KeelDB/SQLite |");
            rule.append("---:|");
        }
        for (StoreKind k : kinds) {
            header.append(' ').append(k.displayName()).append(" p50 / p99 |");
            rule.append("---:|");
        }
        line(header.toString());
        line(rule.toString());
        for (String label : results.index.keySet()) {
            StringBuilder row = new StringBuilder("| " + label + " |");
            String unit = "";
            for (StoreKind k : kinds) {
                Optional<IndexBenchmark.Figure> f = results.indexMedian(label, k);
                unit = f.map(IndexBenchmark.Figure::unit).orElse(unit);
                row.append(' ').append(f.map(x -> String.format(x.isRate() ? "%,.0f" : "%,.1f", x.value())).orElse("—"))
                        .append(" |");
            }
            row.insert(row.indexOf("|", 2) + 1, " " + unit + " |");
            if (keel != null && sqlite != null) {
                Optional<IndexBenchmark.Figure> s = results.indexMedian(label, sqlite);
                row.append(' ').append(ratio(results.indexMedian(label, keel).map(IndexBenchmark.Figure::value),
                        s.map(IndexBenchmark.Figure::value).orElse(0.0))).append(" |");
            }
            for (StoreKind k : kinds) {
                row.append(' ').append(results.indexMedian(label, k).filter(f -> f.p50Nanos() > 0)
                        .map(f -> micros(f.p50Nanos()) + " / " + micros(f.p99Nanos())).orElse("")).append(" |");
            }
            line(row.toString());
        }
        line("");
        line("Ratios: for rates above 1 means KeelDB is faster; for ms below 1 means KeelDB is faster.");
        line("");
        line("Insert rate with indexes against the same store without any:");
        line("");
        line("| store | " + options.indexBatch() + " per commit: 1 index | 3 indexes | 1 per commit: 1 index | 3 indexes |");
        line("|---|---:|---:|---:|---:|");
        for (StoreKind k : kinds) {
            StringBuilder row = new StringBuilder("| " + k.displayName() + " |");
            for (int perCommit : new int[] {options.indexBatch(), 1}) {
                Optional<Double> none = results.indexMedian(IndexBenchmark.insertLabel(perCommit, 0), k)
                        .map(IndexBenchmark.Figure::value);
                for (int indexes : new int[] {1, 3}) {
                    row.append(' ').append(ratio(results.indexMedian(IndexBenchmark.insertLabel(perCommit, indexes), k)
                            .map(IndexBenchmark.Figure::value), none.orElse(0.0))).append(" |");
                }
            }
            line(row.toString());
        }
        line("");
        line("Query plans (KeelDB `Snapshot.explain`, SQLite `EXPLAIN QUERY PLAN`), in the order of the table:");
        line("");
        for (StoreKind k : kinds) {
            List<String> plans = results.indexPlans.getOrDefault(k, List.of());
            line("- " + k.displayName() + ": " + (plans.isEmpty() ? "—" : "`" + String.join("`; `", plans) + "`"));
        }
    }

    private void failures() {
        if (results.failures.isEmpty()) {
            return;
        }
        section("Failures");
        for (Map.Entry<StoreKind, Map<Bench, String>> e : results.failures.entrySet()) {
            for (Map.Entry<Bench, String> f : e.getValue().entrySet()) {
                line("- " + e.getKey().displayName() + ", " + f.getKey().id() + ": " + f.getValue().replace("|", "\\|"));
            }
        }
    }

    private Optional<PhaseResult> keelMedian(Bench bench) {
        return keel == null ? Optional.empty() : results.median(bench, keel);
    }

    private static String ratio(Optional<Double> numerator, double denominator) {
        return numerator.isEmpty() || denominator <= 0 ? "—" : String.format("%.2f", numerator.get() / denominator);
    }

    private static String n(int count) {
        return String.format("%,d", count);
    }

    private static String rate(double perSecond) {
        return String.format("%,.0f", perSecond);
    }

    private static String micros(long nanos) {
        return nanos == 0 ? "" : String.format("%,.1f µs", nanos / 1e3);
    }

    private void section(String title) {
        line("");
        line("## " + title);
        line("");
    }

    private void line(String text) {
        md.append(text).append('\n');
    }
}
