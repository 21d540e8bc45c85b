package dev.keel.cli;

import dev.keel.EntityType;
import dev.keel.Query;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keel demo [DIR]}: creates or opens a small demo database, writes entities in durable
 * single-entity commits from several threads, reopens it and checks every one is there.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Write a small demo database and show how to look at it.",
            "",
            "Creates (or opens) a demo database in DIR (default ./keel-data), inserts Person entities in "
                + "durable single-entity commits from several threads, closes, reopens and checks that every entity "
                + "is there. Prints throughput and how to look at the result."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel demo", "  keel demo /tmp/demo --entities 10000 --threads 8"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, "1:after reopening, entities were missing", ExitCodes.L_UNUSABLE,
            ExitCodes.L_LOCKED, "4:DIR is a non-empty directory that is not a KeelDB database", ExitCodes.L_IO,
            ExitCodes.L_USAGE, ExitCodes.L_INTERNAL})
final class DemoCommand extends KeelCommand {
    /**
     * The demo type: the first demo's fields plus an index on age, which an old demo directory gains
     * by a schema migration when it opens.
     */
    static final EntityType PERSON = EntityType.builder("Person").field(Field.text("name").required())
            .field(Field.longField("age")).field(Field.doubleField("score").defaultValue(0.0)).index("age").build();

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", defaultValue = "keel-data",
            description = "the database directory (default: ${DEFAULT-VALUE}; created if absent)")
    Path dir;

    @Option(names = "--entities", paramLabel = "N", defaultValue = "1000",
            description = "entities to insert (default: ${DEFAULT-VALUE})")
    int entities;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "4",
            description = "writer threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Override
    public Integer call() throws InterruptedException {
        if (entities < 1 || threads < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--entities and --threads must be at least 1");
        }
        if (java.nio.file.Files.isDirectory(dir) && !DatabaseDirectory.isDatabase(dir)) {
            DatabaseDirectory.requireEmptyOrAbsent(dir, true, "demo directory", ExitCodes.NOT_A_DATABASE);
        }
        KeelOptions options = KeelOptions.builder().entityType(PERSON)
                .bootBudgets(dev.keel.BootBudgets.unlimited()).build();
        AtomicLong inserted = new AtomicLong();
        long before;
        long elapsed;
        try (KeelDb db = KeelDb.open(dir, options)) {
            if (!db.recoveryReport().clean()) {
                RecoverCommand.print(db.recoveryReport(), out());
            }
            before = db.snapshot().count("Person");
            out().printf("opened %s: %d Person entities stored%n", dir.toAbsolutePath(), before);
            List<Thread> workers = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int count = entities / threads + (t < entities % threads ? 1 : 0);
                int worker = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < count; i++) {
                        int n = i;
                        db.execute(tx -> tx.insert("Person", Map.of("name", "person-" + worker + "-" + n,
                                "age", (long) (n % 90))));
                        inserted.incrementAndGet();
                    }
                }, "keel-demo-" + t);
                workers.add(th);
                th.start();
            }
            for (Thread th : workers) {
                th.join();
            }
            elapsed = System.nanoTime() - start;
        }
        out().printf("inserted %d entities in durable commits from %d threads in %s: %.0f commits/s%n",
                inserted.get(), threads, Format.seconds(elapsed), inserted.get() / (elapsed / 1e9));
        long reopenStart = System.nanoTime();
        long count;
        try (KeelDb db = KeelDb.open(dir, options)) {
            count = db.snapshot().count("Person");
            out().printf("reopened in %.1f ms: %d Person entities (expected %d)%n",
                    (System.nanoTime() - reopenStart) / 1e6, count, before + inserted.get());
            Query query = Query.on("Person").gte("age", 30L).lt("age", 32L).orderByDescending("age").limit(3);
            out().printf("%s%n  plan:    %s%n", query, db.snapshot().explain(query));
            db.snapshot().query(query).forEach(p -> out().printf("  result:  %s%n", p));
        }
        out().printf("%nLook at it with:%n  keel inspect %1$s%n  keel verify %1$s%n  keel export %1$s | head%n",
                dir);
        return count == before + inserted.get() ? ExitCodes.OK : ExitCodes.PROBLEMS;
    }
}
