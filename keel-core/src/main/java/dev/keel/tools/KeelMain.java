package dev.keel.tools;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelException;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The interim {@code keel} command until the full command line exists: {@code demo} runs a durable
 * write workload against a directory and reopens it; {@code status} prints what a database holds.
 * Exit codes: 0 success, 1 the database reported a problem, 2 bad usage.
 */
public final class KeelMain {
    private static final String USAGE = """
            Usage:
              keel demo [DIR] [--entities N] [--threads T]
                  Opens (or creates) the database in DIR (default ./keel-data), inserts N entities
                  (default 10000) in durable single-entity commits from T threads (default 4),
                  closes, reopens and checks every entity is there. Prints throughput.
              keel status DIR
                  Opens DIR read-only and prints the recovery report and entity counts per type.
              keel help
            Exit codes: 0 ok, 1 database error, 2 bad usage.
            """;

    private KeelMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        try {
            return switch (args[0]) {
                case "demo" -> demo(Arrays.copyOfRange(args, 1, args.length), out);
                case "status" -> status(Arrays.copyOfRange(args, 1, args.length), out);
                default -> usage(err, "unknown command '" + args[0] + "'");
            };
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        } catch (KeelException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("error: interrupted");
            return 1;
        }
    }

    private static int usage(PrintStream err, String problem) {
        err.println("error: " + problem);
        err.print(USAGE);
        return 2;
    }

    private static int demo(String[] args, PrintStream out) throws InterruptedException {
        Path dir = Path.of("keel-data");
        int entities = 10_000;
        int threads = 4;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--entities" -> entities = positive(args, ++i, "--entities");
                case "--threads" -> threads = positive(args, ++i, "--threads");
                default -> {
                    if (args[i].startsWith("-")) {
                        throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                    }
                    dir = Path.of(args[i]);
                }
            }
        }
        EntityType person = EntityType.builder("Person").field(Field.text("name").required())
                .field(Field.longField("age")).field(Field.doubleField("score").defaultValue(0.0)).build();
        KeelOptions options = KeelOptions.builder().entityType(person).build();
        long before;
        AtomicLong inserted = new AtomicLong();
        long start;
        long elapsed;
        try (KeelDb db = KeelDb.open(dir, options)) {
            printReport(db.recoveryReport(), out);
            before = db.snapshot().count("Person");
            out.printf("opened %s: %d Person entities stored%n", dir.toAbsolutePath(), before);
            int perThread = entities / threads;
            int extra = entities % threads;
            List<Thread> workers = new ArrayList<>();
            start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int count = perThread + (t < extra ? 1 : 0);
                int worker = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < count; i++) {
                        int n = i;
                        db.execute(tx -> tx.insert("Person", Map.of("name", "person-" + worker + "-" + n, "age",
                                (long) (n % 90))));
                        inserted.incrementAndGet();
                    }
                });
                workers.add(th);
                th.start();
            }
            for (Thread th : workers) {
                th.join();
            }
            elapsed = System.nanoTime() - start;
        }
        double seconds = elapsed / 1e9;
        out.printf("inserted %d entities in durable commits from %d threads in %.2f s: %.0f commits/s%n",
                inserted.get(), threads, seconds, inserted.get() / seconds);
        long reopenStart = System.nanoTime();
        try (KeelDb db = KeelDb.open(dir, options)) {
            long count = db.snapshot().count("Person");
            out.printf("reopened in %.1f ms: %d Person entities (expected %d)%n",
                    (System.nanoTime() - reopenStart) / 1e6, count, before + inserted.get());
            return count == before + inserted.get() ? 0 : 1;
        }
    }

    private static int status(String[] args, PrintStream out) {
        if (args.length != 1) {
            throw new IllegalArgumentException("status takes exactly one directory");
        }
        Path dir = Path.of(args[0]);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no database directory at " + dir);
        }
        try (KeelDb db = KeelDb.open(dir, KeelOptions.builder().recoveryMode(RecoveryMode.READ_ONLY).build())) {
            printReport(db.recoveryReport(), out);
            out.printf("LSN %d%n", db.snapshot().lsn());
            for (EntityType t : db.schema()) {
                out.printf("  %-24s %d entities%n", t.name(), db.snapshot().count(t.name()));
            }
            return db.recoveryReport().clean() ? 0 : 1;
        }
    }

    private static void printReport(RecoveryReport r, PrintStream out) {
        out.printf("recovery: checkpoint LSN %d, %d segments, %d transactions replayed, %d rolled back, %s%n",
                r.checkpointLsn(), r.segmentsRead(), r.transactionsReplayed(), r.transactionsRolledBack(),
                r.clean() ? "clean" : r.events().size() + " findings:");
        for (RecoveryReport.Event e : r.events()) {
            out.printf("  %s %s@%d: %s%s%n", e.kind(), e.file().getFileName(), e.offset(), e.detail(),
                    e.quarantineFile() != null ? " (kept in " + e.quarantineFile() + ")" : "");
        }
    }

    private static int positive(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a number");
        }
        try {
            int v = Integer.parseInt(args[i]);
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a positive whole number, was '" + args[i] + "'");
        }
    }
}
