package dev.keel.bench;

import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the HTTP server costs, in one run on one disk: the same durable single-entity inserts
 * ({@code Person(name, age, score)}, {@link KeelDbStore#PERSON}) from {@code --threads} clients
 * <ol>
 *   <li>in process, through the Java API ({@code db.write(tx -> tx.insert(...))}, Durability.SYNC);</li>
 *   <li>over HTTP on loopback against {@code keel serve} (a separate JVM started from
 *       {@code keel-cli/target/keel-cli.jar}, default options: SYNC, no auth, access log off), as
 *       {@code POST /v1/entities/Person}, without and with an Idempotency-Key;</li>
 * </ol>
 * and reads by id of preloaded entities, in process and as {@code GET /v1/entities/Person/{id}}.
 * Each phase runs {@code --seconds} after a warm-up of the same load; {@code --reps} repetitions
 * run every phase in turn (so drift affects both sides alike) and the report gives the median. The
 * HTTP load comes from wrk when installed, else from a Java client ({@link HttpLoad}). Prints a
 * Markdown report (and writes it to {@code --out}) with requests/s, p50, p99 and the ratio HTTP /
 * in-process.
 * Run it with {@code keel-bench/run-http.sh}.
 */
public final class HttpLoadBenchmark {
    private static final String USAGE = """
            Usage: HttpLoadBenchmark [options]
              --threads N          client threads in process, and HTTP connections (default 8)
              --seconds N          measured seconds per phase (default 10)
              --warmup-seconds N   unmeasured seconds of the same load before each phase (default 10: the
                                   server JVM's first HTTP phase needs that long to be compiled)
              --preload N          entities loaded into both databases first, read by the read phases
                                   (default 100000)
              --reps N             repetitions of all phases, in turn; the report gives the median (default 3)
              --client wrk|java    HTTP load generator (default: wrk if installed, else java)
              --keel-jar FILE      the keel command's jar (default keel-cli/target/keel-cli.jar)
              --server-heap SIZE   -Xms/-Xmx of the server JVM (default 1g)
              --data-dir DIR       where the databases go (default keel-bench/target/bench-data)
              --out FILE           also write the Markdown report here
            """;
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^ ]*:(\\d+)");

    private int threads = 8;
    private int seconds = 10;
    private int warmupSeconds = 10;
    private int preload = 100_000;
    private int reps = 3;
    private String client = "auto";
    private Path keelJar = Path.of("keel-cli/target/keel-cli.jar");
    private String serverHeap = "1g";
    private Path dataDir = Path.of("keel-bench/target/bench-data");
    private Path out;
    private final List<String> arguments = new ArrayList<>();
    private String loadBefore = "?";

    public static void main(String[] args) throws Exception {
        HttpLoadBenchmark b = new HttpLoadBenchmark();
        try {
            b.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() == null ? "" : "HttpLoadBenchmark: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(e.getMessage() == null ? 0 : 64);
        }
        System.exit(b.run() ? 0 : 1);
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            arguments.add(a);
            if (a.equals("--help") || a.equals("-h")) {
                throw new IllegalArgumentException((String) null);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            String v = args[++i];
            arguments.add(v);
            switch (a) {
                case "--threads" -> threads = positive(a, v);
                case "--seconds" -> seconds = positive(a, v);
                case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(v);
                case "--preload" -> preload = positive(a, v);
                case "--reps" -> reps = positive(a, v);
                case "--client" -> client = v;
                case "--keel-jar" -> keelJar = Path.of(v);
                case "--server-heap" -> serverHeap = v;
                case "--data-dir" -> dataDir = Path.of(v);
                case "--out" -> out = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (!Files.isRegularFile(keelJar)) {
            throw new IllegalArgumentException("--keel-jar " + keelJar + " does not exist; build it with"
                    + " mvn -q -pl keel-cli -am package -DskipTests (run-http.sh does)");
        }
    }

    private static int positive(String option, String value) {
        int n = Integer.parseInt(value.replace("_", "").replace(",", ""));
        if (n < 1) {
            throw new IllegalArgumentException(option + " must be at least 1");
        }
        return n;
    }

    private boolean run() throws Exception {
        Instant started = Instant.now();
        loadBefore = loadAverage();
        Path root = dataDir.resolve("http-" + System.currentTimeMillis());
        HttpLoad load = HttpLoad.choose(client, root.resolve("scripts"));
        KeelOptions options = KeelOptions.builder().entityType(KeelDbStore.PERSON).build();
        Path served = root.resolve("served");
        long[] servedIds;
        try (KeelDb db = KeelDb.open(served, options)) {
            servedIds = preload(db);
        }
        List<PhaseResult> inWrites = new ArrayList<>();
        List<PhaseResult> inReads = new ArrayList<>();
        Map<HttpLoad.Workload, List<HttpLoad.Result>> http = new EnumMap<>(HttpLoad.Workload.class);
        Process server = startServer(served);
        try (KeelDb db = KeelDb.open(root.resolve("in-process"), options)) {
            long[] ids = preload(db);
            String base = "http://127.0.0.1:" + awaitReady(server);
            for (int rep = 0; rep < reps; rep++) {
                // Each repetition runs every phase in turn, so drift (the disk's sync latency, other load)
                // affects in-process and HTTP alike; the later ones warm up for at most 2 s.
                Duration warmup = Duration.ofSeconds(rep == 0 ? warmupSeconds : Math.min(2, warmupSeconds));
                Duration measured = Duration.ofSeconds(seconds);
                System.err.printf("repetition %d/%d: in-process inserts, %d threads...%n", rep + 1, reps, threads);
                timed(db, warmup, true, 0, 0);
                inWrites.add(timed(db, measured, true, 0, 0));
                for (HttpLoad.Workload w : HttpLoad.Workload.values()) {
                    System.err.printf("repetition %d/%d: HTTP %s, %d connections...%n", rep + 1, reps, w, threads);
                    if (!warmup.isZero()) {
                        load.run(base, w, servedIds[0], servedIds[1], threads, warmup);
                    }
                    http.computeIfAbsent(w, x -> new ArrayList<>()).add(load.run(base, w, servedIds[0], servedIds[1],
                            threads, measured));
                    if (w == HttpLoad.Workload.INSERT_IDEMPOTENT) {
                        System.err.printf("repetition %d/%d: in-process reads, %d threads...%n", rep + 1, reps, threads);
                        timed(db, warmup, false, ids[0], ids[1]);
                        inReads.add(timed(db, measured, false, ids[0], ids[1]));
                    }
                }
            }
        } finally {
            server.toHandle().destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
        Map<HttpLoad.Workload, HttpLoad.Result> medians = new EnumMap<>(HttpLoad.Workload.class);
        Map<Object, String> ranges = new java.util.HashMap<>();
        http.forEach((w, results) -> {
            List<PhaseResult> phases = results.stream().map(HttpLoad.Result::phase).toList();
            medians.put(w, new HttpLoad.Result(PhaseResult.median(phases),
                    results.stream().mapToLong(HttpLoad.Result::failures).sum()));
            ranges.put(w, range(phases));
        });
        ranges.put("in-writes", range(inWrites));
        ranges.put("in-reads", range(inReads));
        String report = report(started, load, PhaseResult.median(inWrites), PhaseResult.median(inReads), medians,
                ranges);
        System.out.println(report);
        if (out != null) {
            Files.writeString(out, report, StandardCharsets.UTF_8);
        }
        Files2.deleteRecursively(root);
        return medians.values().stream().allMatch(r -> r.failures() == 0);
    }

    /** Inserts (or reads ids in [lo, hi]) from {@link #threads} threads for {@code d}; durable commits. */
    private PhaseResult timed(KeelDb db, Duration d, boolean write, long lo, long hi) throws Exception {
        if (d.isZero()) {
            return null;
        }
        long deadline = System.nanoTime() + d.toNanos();
        return Parallel.run(threads, t -> () -> {
            Latencies lat = new Latencies(100_000);
            for (long n = 1; System.nanoTime() < deadline; n++) {
                long t0 = System.nanoTime();
                if (write) {
                    Row row = Row.forKey((long) t << 40 | n);
                    db.write(tx -> tx.insert(KeelDbStore.TYPE, Map.of("name", row.name(), "age", row.age(),
                            "score", row.score())));
                } else {
                    long id = ThreadLocalRandom.current().nextLong(lo, hi + 1);
                    if (db.read(s -> s.get(KeelDbStore.TYPE, id)).isEmpty()) {
                        throw new IllegalStateException("entity " + id + " missing");
                    }
                }
                lat.add(System.nanoTime() - t0);
            }
            return lat;
        });
    }

    /** Loads {@link #preload} entities in transactions of 1000; returns the first and last id (contiguous). */
    private long[] preload(KeelDb db) {
        long first = -1;
        long last = -1;
        for (int done = 0; done < preload; done += 1000) {
            int n = Math.min(1000, preload - done);
            int base = done;
            long[] assigned = db.write(tx -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    Row row = Row.forKey(base + i);
                    a[i] = tx.insert(KeelDbStore.TYPE, Map.of("name", row.name(), "age", row.age(), "score",
                            row.score()));
                }
                return a;
            });
            for (long id : assigned) {
                if (first < 0) {
                    first = id;
                } else if (id != last + 1) {
                    throw new IllegalStateException("ids are not contiguous (" + last + " then " + id + "); the read"
                            + " phases draw ids from a range");
                }
                last = id;
            }
        }
        return new long[] {first, last};
    }

    private Process startServer(Path served) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xms" + serverHeap, "-Xmx" + serverHeap, "-XX:+UseG1GC", "-jar",
                keelJar.toString(), "serve", "--data", served.toString(), "--port", "0", "--no-access-log")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Reads the server's stdout until it is ready; returns its port. Its later output is drained. */
    private static int awaitReady(Process server) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        int port = -1;
        String line;
        while ((line = r.readLine()) != null) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
            if (line.startsWith("ready in ") && port > 0) {
                Thread drain = new Thread(() -> {
                    try {
                        while (r.readLine() != null) {
                            // discard
                        }
                    } catch (IOException e) {
                        // the server exited
                    }
                }, "server-stdout");
                drain.setDaemon(true);
                drain.start();
                return port;
            }
        }
        throw new IllegalStateException("keel serve exited before it was ready (exit " + server.exitValue() + ")");
    }

    /** The lowest and highest rate of the repetitions. */
    private static String range(List<PhaseResult> runs) {
        double min = runs.stream().mapToDouble(PhaseResult::perSecond).min().orElse(0);
        double max = runs.stream().mapToDouble(PhaseResult::perSecond).max().orElse(0);
        return String.format(Locale.ROOT, "%,.0f–%,.0f", min, max);
    }

    private String report(Instant started, HttpLoad load, PhaseResult inWrites, PhaseResult inReads,
            Map<HttpLoad.Workload, HttpLoad.Result> http, Map<Object, String> ranges) {
        MachineInfo m = MachineInfo.collect(dataDir);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Run %s (took %d s). Arguments: `%s`. Load average (1 min) %s before,"
                + " %s after.%n%n", started, Duration.between(started, Instant.now()).toSeconds(),
                String.join(" ", arguments), loadBefore, loadAverage()));
        sb.append(String.format(Locale.ROOT, "Machine: %s, %d cores, %s memory; %s; %s. Data directory on `%s`.%n%n",
                m.cpu(), m.cores(), m.memory(), m.jvm(), m.os(), m.disk().lines().reduce((a, b) -> b).orElse("?")
                        .replaceAll("\\s+", " ")));
        sb.append(String.format(Locale.ROOT, "Clients: %d threads in process; HTTP: %s. Server: `keel serve` in its own"
                + " JVM (-Xmx%s, G1), defaults (Durability.SYNC, no auth), `--no-access-log`, on loopback; the load"
                + " generator runs on the same machine. Both databases hold %,d entities first. %d repetitions of every"
                + " phase in turn, each %d s after a warm-up of the same load (%d s in the first repetition, %d s"
                + " after); the table gives the median repetition.%n%n", threads, load.describe(threads),
                serverHeap, preload, reps, seconds, warmupSeconds, Math.min(2, warmupSeconds)));
        sb.append("| workload | path | requests/s | range over repetitions | p50 | p99 | failed |\n"
                + "|---|---|---:|---:|---:|---:|---:|\n");
        row(sb, "durable insert, 1 entity", "Java API `db.write(tx -> tx.insert(...))`", inWrites,
                ranges.get("in-writes"), 0);
        for (HttpLoad.Workload w : List.of(HttpLoad.Workload.INSERT, HttpLoad.Workload.INSERT_IDEMPOTENT)) {
            HttpLoad.Result r = http.get(w);
            row(sb, "durable insert, 1 entity", w == HttpLoad.Workload.INSERT ? "HTTP `POST /v1/entities/Person`"
                    : "HTTP `POST` + `Idempotency-Key`", r.phase(), ranges.get(w), r.failures());
        }
        row(sb, "read by id", "Java API `db.read(s -> s.get(...))`", inReads, ranges.get("in-reads"), 0);
        HttpLoad.Result reads = http.get(HttpLoad.Workload.READ);
        row(sb, "read by id", "HTTP `GET /v1/entities/Person/{id}`", reads.phase(), ranges.get(HttpLoad.Workload.READ),
                reads.failures());
        sb.append(String.format(Locale.ROOT, "%nHTTP / in-process: durable inserts **%.2f** (with Idempotency-Key"
                + " %.2f), reads %.3f.%n", http.get(HttpLoad.Workload.INSERT).phase().perSecond() / inWrites.perSecond(),
                http.get(HttpLoad.Workload.INSERT_IDEMPOTENT).phase().perSecond() / inWrites.perSecond(),
                reads.phase().perSecond() / inReads.perSecond()));
        return sb.toString();
    }

    /** The 1-minute load average (other work on the machine skews every figure), or "?". */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static void row(StringBuilder sb, String workload, String path, PhaseResult p, String range,
            long failures) {
        sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %s | %s | %s | %d |%n", workload, path,
                p.perSecond(), range, micros(p.p50Nanos()), micros(p.p99Nanos()), failures));
    }

    private static String micros(long nanos) {
        if (nanos >= 10_000_000) {
            return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, nanos < 10_000 ? "%.1f µs" : "%,.0f µs", nanos / 1e3);
    }
}
