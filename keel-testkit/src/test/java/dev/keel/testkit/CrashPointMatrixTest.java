package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.closeDead;
import static dev.keel.testkit.FaultTestSupport.copyTree;
import static dev.keel.testkit.FaultTestSupport.assertRepairReport;
import static dev.keel.testkit.FaultTestSupport.freshLayer;
import static dev.keel.testkit.FaultTestSupport.replay;
import static dev.keel.testkit.FaultTestSupport.reopenAndVerify;
import static dev.keel.testkit.WorkloadModel.assertPrefixes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.KeelDb;
import dev.keel.KeelException;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.NioFileIO;
import dev.keel.testkit.FaultTestSupport.PowerLoss;
import dev.keel.testkit.WorkloadModel.Shape;
import dev.keel.testkit.WorkloadModel.Writer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash-consistency matrix: for every {@link CrashPoint}, seeded cases crash the database at
 * that point with a simulated power loss (unsynced writes dropped, the last write maybe torn with
 * zeros, garbage or old content, unsynced directory changes maybe forgotten), then reopen in
 * NORMAL mode and check G1, G2 and G4: every acknowledged commit present, no transaction partly
 * visible (the {@link WorkloadModel} prefix check), a recovery report that names every repair
 * with its bytes in quarantine (and a torn garbage tail always cut), and a directory that accepts
 * new commits and reopens clean.
 *
 * <p>Commit, segment and checkpoint points are reached by a random workload (transactions of
 * inserts, updates and deletes over one to seven entities, large transactions that rotate the
 * 64 KiB segments, checkpoints, reopens) that crashes at the n-th time it reaches the point.
 * Recovery points are reached by crashing recovery itself: a directory that needs the step (a
 * garbage-torn tail, leftover temporary files, a corrupt record for FORCE) is first recovered on a
 * copy without a crash for reference, then recovered with a crash at the n-th time the point is
 * reached, then recovered again, and must end equal to the reference.
 *
 * <p>A second run of the matrix, {@link #everyCrashPointWithCascadeDeletes}, adds the cascade
 * workload of {@link CascadeModel} to the same database: three entity types linked by CASCADE and
 * SET_NULL references (a cycle across types and self references), with cascade deletes of tens to
 * hundreds of entities, some larger than a segment; half of its commit-point cases crash inside the
 * commit of a cascade delete. After each crash and recovery no cascade is visible in part and no
 * reference dangles, and a cascade delete on the recovered database (which needs the referrer
 * indexes rebuilt at open) still matches the model.
 *
 * <p>A third run, {@link #everyCrashPointWithIdempotentWrites}, adds the workload of
 * {@link IdempotencyModel}: idempotent writes whose work inserts orders tagged with the key and
 * updates an account, retries of acknowledged keys (replayed, writing nothing) and reuses with
 * another request (refused); half of its commit-point cases crash inside the commit of a first run.
 * After each crash and recovery every acknowledged idempotent write has its record and its writes,
 * every record present has its writes and every write its record (one commit wrote both), and a
 * retry of every surviving key replays its response and commit LSN without writing; a first run
 * that did not survive runs again when retried.
 *
 * <p>Case counts: {@code -Dkeel.crash.matrix.cases} per point (default, or 0: 6 times
 * {@code keel.test.multiplier}; the {@code crash-long} profile sets 10,000); the cascade run does a third of
 * that, at least 2, or {@code -Dkeel.crash.matrix.cascade.cases}; the idempotency run a fifth, at
 * least 6, or {@code -Dkeel.crash.matrix.idempotency.cases}. Replay a failure with
 * its printed seed: {@code -Dkeel.test.seed=... -Dkeel.crash.matrix.point=NAME}. The coverage
 * table (crash point, cases run) is printed at the end.
 */
class CrashPointMatrixTest {
    static final int CASES = Integer.getInteger("keel.crash.matrix.cases", 0) > 0
            ? Integer.getInteger("keel.crash.matrix.cases") : 6 * FaultTestSupport.MULTIPLIER;
    private static final String ONLY_POINT = System.getProperty("keel.crash.matrix.point");
    private static final int MAX_STEPS = 400;
    /** Cases per crash point of the cascade workload: {@code -Dkeel.crash.matrix.cascade.cases}, else a third of {@link #CASES}, at least 2. */
    static final int CASCADE_CASES = Integer.getInteger("keel.crash.matrix.cascade.cases", 0) > 0
            ? Integer.getInteger("keel.crash.matrix.cascade.cases") : Math.max(2, CASES / 3);
    /** Cases per crash point of the idempotency workload: {@code -Dkeel.crash.matrix.idempotency.cases}, else a fifth of {@link #CASES}, at least 6. */
    static final int IDEMPOTENCY_CASES = Integer.getInteger("keel.crash.matrix.idempotency.cases", 0) > 0
            ? Integer.getInteger("keel.crash.matrix.idempotency.cases") : Math.max(6, CASES / 5);
    private static final Map<CrashPoint, AtomicLong> CRASHED = new EnumMap<>(CrashPoint.class);
    private static final Map<CrashPoint, AtomicLong> NOT_REACHED = new EnumMap<>(CrashPoint.class);
    private static final Map<CrashPoint, AtomicLong> CASCADE_CRASHED = new EnumMap<>(CrashPoint.class);
    private static final Map<CrashPoint, AtomicLong> CASCADE_NOT_REACHED = new EnumMap<>(CrashPoint.class);
    /**
     * Cascade-workload crashes aimed into the commit of a cascade delete: acknowledged all the same
     * (the crash came after the record was durable), not acknowledged but wholly applied, wholly absent.
     */
    private static final AtomicLong IN_FLIGHT_CASCADE_ACKED = new AtomicLong();
    private static final AtomicLong IN_FLIGHT_CASCADE_APPLIED = new AtomicLong();
    private static final AtomicLong IN_FLIGHT_CASCADE_ABSENT = new AtomicLong();
    private static final AtomicLong LARGEST_CASCADE = new AtomicLong();
    private static final AtomicLong LARGEST_CASCADE_BYTES = new AtomicLong();
    private static final AtomicLong CASCADES_COMMITTED = new AtomicLong();
    private static final Map<CrashPoint, AtomicLong> IDEMPOTENT_CRASHED = new EnumMap<>(CrashPoint.class);
    private static final Map<CrashPoint, AtomicLong> IDEMPOTENT_NOT_REACHED = new EnumMap<>(CrashPoint.class);
    /**
     * Idempotency-workload crashes aimed into the commit of a first run: acknowledged all the same
     * (the test then drops the response, and the retry must replay it), not acknowledged but applied
     * (a retry replays it), absent (a retry runs the work again).
     */
    private static final AtomicLong IN_FLIGHT_IDEMPOTENT_ACKED = new AtomicLong();
    private static final AtomicLong IN_FLIGHT_IDEMPOTENT_APPLIED = new AtomicLong();
    private static final AtomicLong IN_FLIGHT_IDEMPOTENT_ABSENT = new AtomicLong();
    /** Idempotent first runs acknowledged, retries that replayed, keys whose lost first run ran again. */
    private static final AtomicLong IDEMPOTENT_ACKED = new AtomicLong();
    private static final AtomicLong IDEMPOTENT_REPLAYS = new AtomicLong();
    private static final AtomicLong IDEMPOTENT_RESENT = new AtomicLong();

    /** The workloads the matrix runs: items alone, items with cascades, items with idempotent writes. */
    private enum Workload { ITEMS, CASCADES, IDEMPOTENT }

    static {
        for (CrashPoint p : CrashPoint.values()) {
            CRASHED.put(p, new AtomicLong());
            NOT_REACHED.put(p, new AtomicLong());
            CASCADE_CRASHED.put(p, new AtomicLong());
            CASCADE_NOT_REACHED.put(p, new AtomicLong());
            IDEMPOTENT_CRASHED.put(p, new AtomicLong());
            IDEMPOTENT_NOT_REACHED.put(p, new AtomicLong());
        }
    }

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyCrashPoint() {
        return matrix("crash matrix ", CASES, Workload.ITEMS);
    }

    /**
     * The same matrix over the cascade workload ({@link CascadeModel}): foreign keys with CASCADE and
     * SET_NULL, large cascade deletes, and after every crash and recovery no cascade visible in
     * part and no dangling reference (G1, G3), besides every acknowledged commit (G2).
     */
    @TestFactory
    Stream<DynamicTest> everyCrashPointWithCascadeDeletes() {
        return matrix("cascade crash matrix ", CASCADE_CASES, Workload.CASCADES);
    }

    /**
     * The same matrix over the idempotency workload ({@link IdempotencyModel}): after every crash and
     * recovery no write without its key and no key without its write (G1), every acknowledged
     * idempotent write present (G2), and a retry of every surviving key replays without writing.
     */
    @TestFactory
    Stream<DynamicTest> everyCrashPointWithIdempotentWrites() {
        return matrix("idempotency crash matrix ", IDEMPOTENCY_CASES, Workload.IDEMPOTENT);
    }

    private Stream<DynamicTest> matrix(String name, int cases, Workload workload) {
        return Stream.of(CrashPoint.values())
                .filter(p -> ONLY_POINT == null || p.name().equals(ONLY_POINT))
                .map(p -> DynamicTest.dynamicTest(p.name(), () -> {
                    // On tmpfs when there is one: the layer's real fsyncs cost nothing there.
                    Path base = MatrixSupport.scratchBase(tmp, "keel-crash-matrix-");
                    try {
                        FaultTestSupport.repeat(name + p, cases, base.resolve(p.name()), (seed, dir) -> {
                            if (p.stage() == CrashPoint.Stage.RECOVERY) {
                                recoveryCase(p, seed, dir, workload);
                            } else {
                                workloadCase(p, seed, dir, workload);
                            }
                            // A failed case is kept by repeat() under target/failed-dbs/.
                            MatrixSupport.deleteTree(dir);
                            MatrixSupport.deleteTree(referenceDir(dir));
                        });
                    } finally {
                        if (!base.equals(tmp)) {
                            MatrixSupport.deleteTree(base);
                        }
                    }
                }));
    }

    private static Path referenceDir(Path dir) {
        return dir.resolveSibling(dir.getFileName() + "-reference");
    }

    @AfterAll
    static void printCoverage() {
        StringBuilder table = new StringBuilder("\ncrash point coverage (cases crashed at the point / cases whose"
                + " workload did not reach it; the same for the cascade workload, then the idempotency workload):\n");
        long total = 0;
        long cascadeTotal = 0;
        long idempotentTotal = 0;
        List<CrashPoint> missing = new ArrayList<>();
        for (CrashPoint p : CrashPoint.values()) {
            long n = CRASHED.get(p).get();
            long c = CASCADE_CRASHED.get(p).get();
            long i = IDEMPOTENT_CRASHED.get(p).get();
            total += n;
            cascadeTotal += c;
            idempotentTotal += i;
            table.append(String.format("  %-10s %-34s %6d  %4d   %6d  %4d   %6d  %4d%n", p.stage(), p, n,
                    NOT_REACHED.get(p).get(), c, CASCADE_NOT_REACHED.get(p).get(), i, IDEMPOTENT_NOT_REACHED.get(p).get()));
            if (n == 0 && (ONLY_POINT == null || p.name().equals(ONLY_POINT))) {
                missing.add(p);
            }
        }
        table.append(String.format("  %-45s %6d         %6d         %6d%n", "total crash cases", total, cascadeTotal,
                idempotentTotal));
        table.append(String.format("  cascade workload: %d cascade deletes committed (largest %d entities deleted or"
                + " cleared, largest about %d KiB of log); crashes in the commit of one: %d acknowledged, %d not"
                + " acknowledged and wholly applied, %d wholly absent%n", CASCADES_COMMITTED.get(),
                LARGEST_CASCADE.get(), LARGEST_CASCADE_BYTES.get() / 1024, IN_FLIGHT_CASCADE_ACKED.get(),
                IN_FLIGHT_CASCADE_APPLIED.get(), IN_FLIGHT_CASCADE_ABSENT.get()));
        table.append(String.format("  idempotency workload: %d first runs acknowledged, %d retries replayed without writing,"
                + " %d lost first runs run again on retry; crashes in the commit of a first run: %d acknowledged (response"
                + " dropped, replayed on retry), %d not acknowledged and applied (replayed on retry), %d absent (run again"
                + " on retry)%n", IDEMPOTENT_ACKED.get(),
                IDEMPOTENT_REPLAYS.get(), IDEMPOTENT_RESENT.get(), IN_FLIGHT_IDEMPOTENT_ACKED.get(),
                IN_FLIGHT_IDEMPOTENT_APPLIED.get(), IN_FLIGHT_IDEMPOTENT_ABSENT.get()));
        System.out.println(table);
        if (total > 0) {
            assertEquals(List.of(), missing, "crash points the matrix never crashed at");
        }
        // Per point the cascade workload runs few cases and may miss a rarely reached point; all its
        // commit-point cases together must hit a cascade delete in commit (half of them aim at one).
        if (cascadeTotal > 0 && ONLY_POINT == null) {
            assertTrue(IN_FLIGHT_CASCADE_ACKED.get() + IN_FLIGHT_CASCADE_APPLIED.get() + IN_FLIGHT_CASCADE_ABSENT.get() > 0,
                    "the cascade matrix never crashed during the commit of a cascade delete");
        }
        if (idempotentTotal > 0 && ONLY_POINT == null) {
            assertTrue(IN_FLIGHT_IDEMPOTENT_ACKED.get() + IN_FLIGHT_IDEMPOTENT_APPLIED.get()
                    + IN_FLIGHT_IDEMPOTENT_ABSENT.get() > 0, "the idempotency matrix never crashed during the commit of"
                    + " a first run");
        }
    }

    // ---- commit, segment and checkpoint points -------------------------------------------------

    private static void workloadCase(CrashPoint point, long seed, Path dir, Workload workload) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        FaultyFileIO io = new FaultyFileIO();
        RandomPowerLoss chooser = new RandomPowerLoss(io, random.nextLong(), false);
        CrashInjector injector = new CrashInjector(io).powerLoss(chooser);
        long nth = 1 + random.nextInt(maxNth(point));
        Writer writer = new Writer(1, random.nextLong(), new Shape(7, 300, 0));
        CascadeModel.Writer cascades = workload == Workload.CASCADES ? new CascadeModel.Writer(random.nextLong()) : null;
        IdempotencyModel.Writer idem = workload == Workload.IDEMPOTENT ? new IdempotencyModel.Writer(random.nextLong())
                : null;
        if (idem != null && point.stage() == CrashPoint.Stage.COMMIT && random.nextBoolean()) {
            // Aim at an idempotent first run: arm right before the n-th one.
            int[] countdown = {1 + random.nextInt(15)};
            nth = -countdown[0];
            idem.beforeFirstRun = () -> {
                if (--countdown[0] == 0) {
                    injector.crashAt(point, 1);
                }
            };
        } else if (cascades != null && point.stage() == CrashPoint.Stage.COMMIT && random.nextBoolean()) {
            // Aim at a cascade delete: arm right before the commit of the n-th one.
            int[] countdown = {1 + random.nextInt(12)};
            nth = -countdown[0];
            cascades.beforeCascadeDelete = () -> {
                if (--countdown[0] == 0) {
                    injector.crashAt(point, 1);
                }
            };
        } else {
            injector.crashAt(point, nth);
        }
        String context = runUntilCrash(point, nth, dir, io, injector, writer, cascades, idem, random);
        if (context == null) {
            notReached(workload).get(point).incrementAndGet();
            return;
        }
        if (idem != null) {
            reopenAndVerifyIdempotent(dir, writer, idem, nth < 0, chooser.decided, context, seed);
            IDEMPOTENT_CRASHED.get(point).incrementAndGet();
        } else if (cascades == null) {
            reopenAndVerify(dir, List.of(writer), new int[] {writer.acked()}, chooser.decided, context, seed);
            CRASHED.get(point).incrementAndGet();
        } else {
            reopenAndVerifyCascades(dir, writer, cascades, nth < 0, chooser.decided, context, seed);
            CASCADE_CRASHED.get(point).incrementAndGet();
        }
    }

    private static Map<CrashPoint, AtomicLong> crashed(Workload w) {
        return switch (w) {
            case ITEMS -> CRASHED;
            case CASCADES -> CASCADE_CRASHED;
            case IDEMPOTENT -> IDEMPOTENT_CRASHED;
        };
    }

    private static Map<CrashPoint, AtomicLong> notReached(Workload w) {
        return switch (w) {
            case ITEMS -> NOT_REACHED;
            case CASCADES -> CASCADE_NOT_REACHED;
            case IDEMPOTENT -> IDEMPOTENT_NOT_REACHED;
        };
    }

    /** The options of the matrix's databases: with the cascade or idempotency workload's types when it runs. */
    private static KeelOptions.Builder options(FileIO io, CascadeModel.Writer cascades, IdempotencyModel.Writer idem) {
        KeelOptions.Builder b = FaultTestSupport.options(io);
        if (cascades != null) {
            b.entityTypes(CascadeModel.TYPES.toArray(EntityType[]::new));
        }
        if (idem != null) {
            b.entityTypes(IdempotencyModel.TYPES.toArray(EntityType[]::new));
        }
        return b;
    }

    /**
     * {@link FaultTestSupport#reopenAndVerify} for the idempotency workload: reopens in NORMAL mode,
     * checks the report, the item writer's prefix and {@link IdempotencyModel#assertConsistent} (every
     * acknowledged idempotent write with its record, no write without its key, no key without its
     * write), retries every surviving key ({@link IdempotencyModel#assertReplays}: replayed, nothing
     * written), sends a first run the crash lost again (its work runs now), runs a few more calls,
     * closes, reopens clean and checks everything again.
     */
    private static void reopenAndVerifyIdempotent(Path dir, Writer writer, IdempotencyModel.Writer idem,
            boolean aimedAtFirstRun, PowerLoss loss, String context, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        idem.beforeFirstRun = () -> { };
        int attempted = idem.attempted.size();
        int ackedBefore = idem.acked();
        boolean inFlight = aimedAtFirstRun && attempted > ackedBefore;
        // A first run acknowledged although the crash hit its commit: drop the response, as a client
        // that timed out would; its retry below must replay it.
        boolean dropped = aimedAtFirstRun && !inFlight && idem.dropLastResponse();
        int items;
        int m;
        try (KeelDb db = KeelDb.open(dir, options(freshLayer(random), null, idem).build())) {
            assertRepairReport(db.recoveryReport(), loss, context, seed);
            items = assertPrefixes(db.snapshot(), List.of(writer), new int[] {writer.acked()}, Set.of(),
                    context + "; first reopen", seed)[0];
            m = IdempotencyModel.assertConsistent(db.snapshot(), idem, context + "; first reopen", seed);
            if (dropped) {
                assertEquals(attempted, m, "an acknowledged idempotent write (its response dropped by the test) is"
                        + " missing; " + context + "; " + replay(seed));
            }
            if (aimedAtFirstRun) {
                (dropped ? IN_FLIGHT_IDEMPOTENT_ACKED : inFlight && m == attempted ? IN_FLIGHT_IDEMPOTENT_APPLIED
                        : IN_FLIGHT_IDEMPOTENT_ABSENT).incrementAndGet();
            }
            int replaysBefore = idem.replaysChecked;
            IdempotencyModel.assertReplays(db, idem, m, context + "; first reopen", seed);
            IdempotencyModel.Request lost = idem.resume(m);
            if (lost != null) {
                idem.resendLost(db, lost);
                IDEMPOTENT_RESENT.incrementAndGet();
            }
            System.out.println("  ok: " + context + "; idempotency writer acknowledged " + ackedBefore + " of "
                    + attempted + " first runs, found " + m + (inFlight ? " (a first run was in commit)" : dropped
                    ? " (a first run acknowledged in commit, its response dropped)" : "")
                    + ", retries replayed " + (idem.replaysChecked - replaysBefore) + (lost != null
                    ? ", lost " + lost.key + " ran again" : "") + "; recovery events " + db.recoveryReport().events()
                    .stream().map(e -> e.kind().toString()).toList());
            for (int i = 0; i < 3; i++) {
                idem.commitNext(db, false);
            }
        }
        try (KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE, null, idem).build())) {
            assertTrue(db.recoveryReport().clean(), "a reopen after a clean close must find nothing to repair: "
                    + db.recoveryReport() + "; " + context + "; " + replay(seed));
            assertPrefixes(db.snapshot(), List.of(writer), new int[] {items}, Set.of(), context + "; second reopen",
                    seed);
            int again = IdempotencyModel.assertConsistent(db.snapshot(), idem, context + "; second reopen", seed);
            assertEquals(idem.attempted.size(), again, "every first run after the recovery is acknowledged; " + context
                    + "; " + replay(seed));
            IdempotencyModel.assertReplays(db, idem, again, context + "; second reopen", seed);
        }
        IDEMPOTENT_ACKED.addAndGet(idem.acked());
        IDEMPOTENT_REPLAYS.addAndGet(idem.replaysChecked);
    }

    /**
     * {@link FaultTestSupport#reopenAndVerify} for the cascade workload: reopens in NORMAL mode and
     * checks the report, the item writer's prefix and {@link CascadeModel#assertConsistent} (no
     * partial cascade, no dangling reference, every acknowledged commit); then deletes the team
     * whose cascade reaches furthest and grows a new one, which needs the referrer indexes rebuilt
     * at open to be complete, closes, reopens clean and checks everything again.
     */
    private static void reopenAndVerifyCascades(Path dir, Writer writer, CascadeModel.Writer cascades,
            boolean aimedAtCascade, PowerLoss loss, String context, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        int attempted = cascades.attempted.size();
        boolean cascadeInFlight = aimedAtCascade && cascades.cascades.get(attempted - 1) != null;
        int items;
        int m;
        try (KeelDb db = KeelDb.open(dir, options(freshLayer(random), cascades, null).build())) {
            assertRepairReport(db.recoveryReport(), loss, context, seed);
            items = assertPrefixes(db.snapshot(), List.of(writer), new int[] {writer.acked()}, Set.of(),
                    context + "; first reopen", seed)[0];
            m = CascadeModel.assertConsistent(db.snapshot(), cascades, cascades.acked(), context + "; first reopen",
                    seed);
            System.out.println("  ok: " + context + "; cascade writer acknowledged " + cascades.acked() + " of "
                    + attempted + ", found " + m + (cascadeInFlight ? " (a cascade delete of "
                    + cascades.cascades.get(attempted - 1).size() + " was in commit)" : "") + ", " + cascades.population()
                    + " entities; recovery events " + db.recoveryReport().events().stream()
                    .map(e -> e.kind().toString()).toList());
            if (cascadeInFlight) {
                (cascades.acked() == attempted ? IN_FLIGHT_CASCADE_ACKED : m == attempted ? IN_FLIGHT_CASCADE_APPLIED
                        : IN_FLIGHT_CASCADE_ABSENT).incrementAndGet();
            }
            CASCADES_COMMITTED.addAndGet(cascades.cascadesAcked);
            LARGEST_CASCADE.accumulateAndGet(cascades.largestCascade, Math::max);
            LARGEST_CASCADE_BYTES.accumulateAndGet(cascades.largestCascadeBytes, Math::max);
            cascades.resume(m);
            cascades.deleteLargestTeam(db);
            cascades.grow(db, false);
        }
        try (KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE, cascades, null).build())) {
            assertTrue(db.recoveryReport().clean(), "a reopen after a clean close must find nothing to repair: "
                    + db.recoveryReport() + "; " + context + "; " + replay(seed));
            assertPrefixes(db.snapshot(), List.of(writer), new int[] {items}, Set.of(), context + "; second reopen",
                    seed);
            assertEquals(m + 2, CascadeModel.assertConsistent(db.snapshot(), cascades, m + 2, context
                    + "; second reopen, after a cascade delete and an insert on the recovered database", seed));
        }
    }

    /** How far into the workload a point's crash is placed: points reached often get a wider range. */
    private static int maxNth(CrashPoint point) {
        return switch (point) {
            case COMMIT_BEFORE_APPEND, COMMIT_MID_RECORD, COMMIT_AFTER_APPEND, COMMIT_AFTER_SYNC,
                    COMMIT_AFTER_PUBLISH -> 40;
            case SEGMENT_PREPARE_MID_FILL, SEGMENT_PREPARE_BEFORE_RENAME, SEGMENT_PREPARE_AFTER_RENAME -> 4;
            // The workload's schema is stored once, by the first open (a migration from the empty schema).
            case MIGRATION_BEFORE_COMMIT, MIGRATION_AFTER_COMMIT -> 1;
            default -> 3;
        };
    }

    /**
     * Runs the random workload with the injector armed until it crashes; returns a description of
     * the crash, or null when the workload ended without reaching the point. Any error before the
     * crash fails the test: nothing else is injected.
     */
    private static String runUntilCrash(CrashPoint point, long nth, Path dir, FaultyFileIO io, CrashInjector injector,
            Writer writer, CascadeModel.Writer cascades, IdempotencyModel.Writer idem, SplittableRandom random) {
        KeelDb db = null;
        int step = 0;
        try {
            db = KeelDb.open(dir, options(io, cascades, idem).crashHook(injector).build());
            for (; step < MAX_STEPS && !injector.crashed(); step++) {
                int dice = random.nextInt(100);
                if (idem != null) {
                    // The idempotency workload: mostly its calls, some with long notes (segments
                    // rotate), and items, checkpoints and reopens now and then.
                    if (dice < 55) {
                        idem.commitNext(db, false);
                        continue;
                    } else if (dice < 63) {
                        idem.commitNext(db, true);
                        continue;
                    }
                    dice = random.nextInt(100);
                }
                if (cascades != null) {
                    // The cascade workload: mostly its transactions, some with long names (larger
                    // than a segment), and items now and then.
                    if (dice < 55) {
                        cascades.commitNext(db, false);
                        continue;
                    } else if (dice < 66) {
                        cascades.commitNext(db, true);
                        continue;
                    }
                    dice = random.nextInt(100);
                }
                if (dice < 70) {
                    writer.commitNext(db);
                } else if (dice < 82) {
                    commitLarge(writer, db, random);
                } else if (dice < 94) {
                    db.checkpoint();
                } else {
                    db.close();
                    db = null;
                    db = KeelDb.open(dir, options(io, cascades, idem).crashHook(injector).build());
                }
            }
            if (!injector.crashed()) {
                db.close();
                db = null;
            }
        } catch (RuntimeException e) {
            if (!injector.crashed()) {
                throw new AssertionError("error at step " + step + " before any crash was injected", e);
            }
            if (!(e instanceof KeelException)) {
                throw new AssertionError("after the crash at " + point + " the caller got " + e
                        + " instead of a KeelException", e);
            }
        } finally {
            if (db != null) {
                closeDead(db);
            }
        }
        if (!injector.crashed()) {
            return null;
        }
        io.reset();
        return "crash at " + point + (nth < 0 ? " (in the commit of " + (idem != null ? "idempotent first run "
                : "cascade delete ") + -nth + ")" : " (time " + nth + ")") + " after " + step + " steps, "
                + writer.acked() + " acknowledged of " + writer.attempted.size() + " attempted" + (cascades == null ? ""
                : ", cascade writer " + cascades.acked() + " of " + cascades.attempted.size()) + (idem == null ? ""
                : ", idempotency writer " + idem.acked() + " of " + idem.attempted.size()) + "; "
                + injector.appliedOptions();
    }

    /** A transaction with long payloads, so segments fill and rotate. */
    private static void commitLarge(Writer writer, KeelDb db, SplittableRandom random) {
        Shape normal = writer.shape;
        writer.shape = new Shape(7, 2000 + random.nextInt(6000), 0);
        try {
            writer.commitNext(db);
        } finally {
            writer.shape = normal;
        }
    }

    // ---- recovery points -----------------------------------------------------------------------

    private static void recoveryCase(CrashPoint point, long seed, Path dir, Workload workload) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        Writer writer = new Writer(1, random.nextLong(), new Shape(7, 300, 0));
        CascadeModel.Writer cascades = workload == Workload.CASCADES ? new CascadeModel.Writer(random.nextLong()) : null;
        IdempotencyModel.Writer idem = workload == Workload.IDEMPOTENT ? new IdempotencyModel.Writer(random.nextLong())
                : null;
        Map<CrashPoint, AtomicLong> notReached = notReached(workload);
        RecoveryMode mode = prepareDamage(point, dir, writer, cascades, idem, random);
        if (mode == null) {
            notReached.get(point).incrementAndGet();
            return;
        }
        // Reference: the same recovery, uninterrupted, on a copy; it also counts the point.
        Path refDir = referenceDir(dir);
        copyTree(dir, refDir);
        FaultyFileIO refIo = new FaultyFileIO();
        CrashInjector counter = new CrashInjector(refIo);
        Map<Long, Map<String, Map<Long, Map<String, Object>>>> reference;
        Map<String, TreeMap<Long, Map<String, Object>>> cascadeReference = null;
        Map<String, TreeMap<Long, Map<String, Object>>> idemReference = null;
        RecoveryReport refReport;
        try (KeelDb db = KeelDb.open(refDir, options(refIo, cascades, idem).recoveryMode(mode).crashHook(counter)
                .build())) {
            reference = WorkloadModel.contents(db.snapshot());
            if (cascades != null) {
                cascadeReference = CascadeModel.contents(db.snapshot());
            }
            if (idem != null) {
                idemReference = IdempotencyModel.contents(db.snapshot());
            }
            refReport = db.recoveryReport();
        }
        long reached = counter.timesReached(point);
        if (reached == 0) {
            notReached.get(point).incrementAndGet();
            return;
        }
        if (!refReport.clean()) {
            String json = Files.readString(refDir.resolve("recovery.json"));
            for (RecoveryReport.Event e : refReport.events()) {
                assertTrue(json.contains("\"" + e.kind() + "\""), "recovery.json lacks " + e.kind() + ": " + json
                        + "; " + replay(seed));
            }
        }
        // The same recovery, crashed at the n-th time it reaches the point.
        long nth = 1 + random.nextInt((int) Math.min(reached, 8));
        FaultyFileIO io = new FaultyFileIO();
        CrashInjector injector = new CrashInjector(io).powerLoss(new RandomPowerLoss(io, random.nextLong(), false));
        injector.crashAt(point, nth);
        try {
            KeelDb db = KeelDb.open(dir, options(io, cascades, idem).recoveryMode(mode).crashHook(injector).build());
            closeDead(db);
        } catch (KeelException expected) {
            // The power went out during recovery.
        }
        assertTrue(injector.crashed(), point + " was reached " + reached + " times in the reference recovery but"
                + " not in the crashed one; " + replay(seed));
        io.reset();
        String context = "recovery (" + mode + ") crashed at " + point + " (time " + nth + " of " + reached + "); "
                + injector.appliedOptions();
        // Recovery after the crashed recovery ends where the uninterrupted one did.
        try (KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE, cascades, idem).recoveryMode(mode).build())) {
            assertEquals(reference, WorkloadModel.contents(db.snapshot()),
                    "recovery after a crash during recovery differs from recovery without one; " + context + "; "
                            + replay(seed));
            if (idem != null) {
                assertEquals(idemReference, IdempotencyModel.contents(db.snapshot()), "idempotency workload: recovery"
                        + " after a crash during recovery differs from recovery without one; " + context + "; "
                        + replay(seed));
                // As for cascades: with only the repairs of a crash, the model must hold.
                Set<RecoveryReport.EventKind> repairs = Set.of(RecoveryReport.EventKind.TORN_TAIL_CUT,
                        RecoveryReport.EventKind.INCOMPLETE_TRANSACTION_DISCARDED,
                        RecoveryReport.EventKind.TEMP_FILE_REMOVED, RecoveryReport.EventKind.STALE_GENERATION);
                if (refReport.events().stream().allMatch(e -> repairs.contains(e.kind()))) {
                    IdempotencyModel.assertConsistent(db.snapshot(), idem, context, seed);
                }
            }
            if (cascades != null) {
                assertEquals(cascadeReference, CascadeModel.contents(db.snapshot()), "cascade workload: recovery after"
                        + " a crash during recovery differs from recovery without one; " + context + "; " + replay(seed));
                // FORCE salvaging real corruption may drop a transaction from the middle of the log,
                // after which no prefix model holds; with only the repairs of a crash it must recover
                // what NORMAL does.
                Set<RecoveryReport.EventKind> repairs = Set.of(RecoveryReport.EventKind.TORN_TAIL_CUT,
                        RecoveryReport.EventKind.INCOMPLETE_TRANSACTION_DISCARDED,
                        RecoveryReport.EventKind.TEMP_FILE_REMOVED, RecoveryReport.EventKind.STALE_GENERATION);
                if (refReport.events().stream().allMatch(e -> repairs.contains(e.kind()))) {
                    CascadeModel.assertConsistent(db.snapshot(), cascades, cascades.acked(), context, seed);
                }
            }
        }
        if (mode == RecoveryMode.NORMAL) {
            if (idem != null) {
                reopenAndVerifyIdempotent(dir, writer, idem, false, null, context, seed);
            } else if (cascades == null) {
                reopenAndVerify(dir, List.of(writer), new int[] {writer.acked()}, null, context, seed);
            } else {
                reopenAndVerifyCascades(dir, writer, cascades, false, null, context, seed);
            }
        } else {
            crashAfterForceThenOpenNormal(dir, reference, cascades, cascadeReference, idem, idemReference, random,
                    context, seed);
        }
        crashed(workload).get(point).incrementAndGet();
    }

    /**
     * After FORCE recovery the database must be an ordinary one: new commits, a power loss, and a
     * NORMAL open with the recovered state plus the acknowledged new commits.
     */
    private static void crashAfterForceThenOpenNormal(Path dir, Map<Long, Map<String, Map<Long, Map<String, Object>>>>
            reference, CascadeModel.Writer cascades, Map<String, TreeMap<Long, Map<String, Object>>> cascadeReference,
            IdempotencyModel.Writer idem, Map<String, TreeMap<Long, Map<String, Object>>> idemReference,
            SplittableRandom random, String context, long seed) throws IOException {
        FaultyFileIO io = new FaultyFileIO();
        Writer later = new Writer(2, random.nextLong(), new Shape(4, 64, 0));
        KeelDb db = KeelDb.open(dir, options(io, cascades, idem).recoveryMode(RecoveryMode.FORCE).build());
        assertEquals(reference, WorkloadModel.contents(db.snapshot()), "second FORCE open; " + context + "; "
                + replay(seed));
        if (cascades != null) {
            assertEquals(cascadeReference, CascadeModel.contents(db.snapshot()), "cascade workload, second FORCE open; "
                    + context + "; " + replay(seed));
        }
        if (idem != null) {
            assertEquals(idemReference, IdempotencyModel.contents(db.snapshot()), "idempotency workload, second FORCE"
                    + " open; " + context + "; " + replay(seed));
        }
        later.commitNext(db);
        later.commitNext(db);
        io.powerLoss();
        closeDead(db);
        try (KeelDb reopened = KeelDb.open(dir, options(NioFileIO.INSTANCE, cascades, idem).build())) {
            Map<Long, Map<String, Map<Long, Map<String, Object>>>> all = WorkloadModel.contents(reopened.snapshot());
            all.remove(later.owner);
            assertEquals(reference, all, "NORMAL open after FORCE recovery and a crash; " + context + "; "
                    + replay(seed));
            if (cascades != null) {
                assertEquals(cascadeReference, CascadeModel.contents(reopened.snapshot()), "cascade workload, NORMAL"
                        + " open after FORCE recovery and a crash; " + context + "; " + replay(seed));
            }
            if (idem != null) {
                assertEquals(idemReference, IdempotencyModel.contents(reopened.snapshot()), "idempotency workload,"
                        + " NORMAL open after FORCE recovery and a crash; " + context + "; " + replay(seed));
            }
            WorkloadModel.assertPrefixes(reopened.snapshot(), List.of(later), new int[] {2}, reference.keySet(),
                    "commits after FORCE recovery; " + context, seed);
        }
    }

    /**
     * Leaves {@code dir} in a state whose recovery reaches {@code point} and returns the mode to
     * recover it with (null if the workload did not get there).
     */
    private static RecoveryMode prepareDamage(CrashPoint point, Path dir, Writer writer, CascadeModel.Writer cascades,
            IdempotencyModel.Writer idem, SplittableRandom random) throws IOException {
        FaultyFileIO io = new FaultyFileIO();
        CrashInjector injector;
        CrashPoint first;
        switch (point) {
            case RECOVERY_MID_TEMP_REMOVAL -> {
                // A temporary file survives when the crash keeps unsynced directory entries.
                first = random.nextBoolean() ? CrashPoint.CHECKPOINT_AFTER_TEMP_SYNC
                        : CrashPoint.SEGMENT_PREPARE_BEFORE_RENAME;
                injector = new CrashInjector(io).powerLoss((p, w) -> PowerLossOptions.defaults()
                        .withForgetUnsyncedDirectoryOps(false));
            }
            case RECOVERY_FORCE_AFTER_CHECKPOINT -> {
                return prepareCorruption(dir, writer, cascades, idem, random) ? RecoveryMode.FORCE : null;
            }
            case RECOVERY_MID_SEGMENT_DELETE -> {
                // FORCE deletes every salvaged segment; NORMAL deletes empty preallocated ones.
                if (random.nextBoolean()) {
                    return prepareCorruption(dir, writer, cascades, idem, random) ? RecoveryMode.FORCE : null;
                }
                first = CrashPoint.COMMIT_MID_RECORD;
                injector = new CrashInjector(io).powerLoss(new RandomPowerLoss(io, random.nextLong(), true));
            }
            default -> {
                // A garbage-torn tail: recovery quarantines it, cuts it, writes a report and deletes
                // the empty preallocated segment.
                first = CrashPoint.COMMIT_MID_RECORD;
                injector = new CrashInjector(io).powerLoss(new RandomPowerLoss(io, random.nextLong(), true));
            }
        }
        injector.crashAt(first, 1 + random.nextInt(first == CrashPoint.COMMIT_MID_RECORD ? 30 : 3));
        if (runUntilCrash(first, 0, dir, io, injector, writer, cascades, idem, random) == null) {
            return null;
        }
        // FORCE must treat a torn tail like NORMAL does (it once did not: see TornTailTest).
        return random.nextInt(3) == 0 ? RecoveryMode.FORCE : RecoveryMode.NORMAL;
    }

    /**
     * Commits, closes cleanly (the checkpoint holds them), commits more and loses power with all of
     * it synced, then flips a byte in the first record of the log: a damaged record followed by
     * good ones, which NORMAL refuses and FORCE salvages.
     */
    private static boolean prepareCorruption(Path dir, Writer writer, CascadeModel.Writer cascades,
            IdempotencyModel.Writer idem, SplittableRandom random) throws IOException {
        try (KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE, cascades, idem).build())) {
            for (int i = 0; i < 3; i++) {
                writer.commitNext(db);
                if (cascades != null) {
                    cascades.commitNext(db, false);
                }
                if (idem != null) {
                    idem.commitNext(db, false);
                }
            }
        }
        FaultyFileIO io = new FaultyFileIO();
        KeelDb db = KeelDb.open(dir, options(io, cascades, idem).build());
        for (int i = 0, n = 3 + random.nextInt(10); i < n; i++) {
            writer.commitNext(db);
            if (cascades != null) {
                cascades.commitNext(db, false);
            }
            if (idem != null) {
                idem.commitNext(db, false);
            }
        }
        io.powerLoss();
        closeDead(db);
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(FaultTestSupport::isWal).sorted().findFirst().orElse(null);
        }
        if (segment == null) {
            return false;
        }
        byte[] bytes = Files.readAllBytes(segment);
        int at = 64 + 17 + random.nextInt(8); // inside the first frame's payload
        bytes[at] ^= (byte) (1 + random.nextInt(255));
        Files.write(segment, bytes);
        return true;
    }

    /**
     * Chooses a random power loss and remembers what it expects of recovery: a tail torn with at
     * least 8 bytes of garbage in an unsynced log write must be cut and reported.
     */
    private static final class RandomPowerLoss implements CrashInjector.PowerLossChooser {
        private final FaultyFileIO io;
        private final SplittableRandom random;
        private final boolean garbageTail;
        PowerLoss decided;

        RandomPowerLoss(FaultyFileIO io, long seed, boolean garbageTail) {
            this.io = io;
            this.random = new SplittableRandom(seed);
            this.garbageTail = garbageTail;
        }

        @Override
        public PowerLossOptions choose(CrashPoint point, FaultyFileIO.LastWrite last) {
            boolean forget = random.nextInt(4) != 0;
            PowerLossOptions options = PowerLossOptions.defaults().withForgetUnsyncedDirectoryOps(forget)
                    .withSeed(random.nextLong());
            boolean unsynced = last != null && io.unsyncedFiles().contains(last.file());
            boolean tear = unsynced && (garbageTail || point.name().contains("_MID_") || random.nextInt(3) == 0);
            if (!tear) {
                decided = null;
                return options;
            }
            PowerLossOptions.TornFill fill = garbageTail ? PowerLossOptions.TornFill.GARBAGE
                    : PowerLossOptions.TornFill.values()[random.nextInt(3)];
            long keep = garbageTail ? random.nextInt(Math.max(1, last.length() - 8)) : random.nextInt(last.length() + 1);
            boolean expectCut = fill == PowerLossOptions.TornFill.GARBAGE && last.length() - keep >= 8
                    && FaultTestSupport.isWal(last.file());
            decided = new PowerLoss(last.file(), fill, keep, last.length(), expectCut, "tear of the last write ("
                    + last.length() + " bytes) of " + last.file().getFileName() + " after " + keep + " bytes, fill "
                    + fill + ", forgetDirectoryOps=" + forget);
            return options.tearLastWrite(last.file(), keep).withTornFill(fill);
        }
    }
}
