package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.closeDead;
import static dev.keel.testkit.FaultTestSupport.copyTree;
import static dev.keel.testkit.FaultTestSupport.options;
import static dev.keel.testkit.FaultTestSupport.replay;
import static dev.keel.testkit.FaultTestSupport.reopenAndVerify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.KeelDb;
import dev.keel.KeelException;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.fault.CrashPoint;
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
import java.util.SplittableRandom;
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
 * <p>Case counts: {@code -Dkeel.crash.matrix.cases} per point (default, or 0: 6 times
 * {@code keel.test.multiplier}; the {@code crash-long} profile sets 10,000). Replay a failure with
 * its printed seed: {@code -Dkeel.test.seed=... -Dkeel.crash.matrix.point=NAME}. The coverage
 * table (crash point, cases run) is printed at the end.
 */
class CrashPointMatrixTest {
    static final int CASES = Integer.getInteger("keel.crash.matrix.cases", 0) > 0
            ? Integer.getInteger("keel.crash.matrix.cases") : 6 * FaultTestSupport.MULTIPLIER;
    private static final String ONLY_POINT = System.getProperty("keel.crash.matrix.point");
    private static final int MAX_STEPS = 400;
    private static final Map<CrashPoint, AtomicLong> CRASHED = new EnumMap<>(CrashPoint.class);
    private static final Map<CrashPoint, AtomicLong> NOT_REACHED = new EnumMap<>(CrashPoint.class);

    static {
        for (CrashPoint p : CrashPoint.values()) {
            CRASHED.put(p, new AtomicLong());
            NOT_REACHED.put(p, new AtomicLong());
        }
    }

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyCrashPoint() {
        return Stream.of(CrashPoint.values())
                .filter(p -> ONLY_POINT == null || p.name().equals(ONLY_POINT))
                .map(p -> DynamicTest.dynamicTest(p.name(), () -> {
                    // On tmpfs when there is one: the layer's real fsyncs cost nothing there.
                    Path base = MatrixSupport.scratchBase(tmp, "keel-crash-matrix-");
                    try {
                        FaultTestSupport.repeat("crash matrix " + p, CASES, base.resolve(p.name()), (seed, dir) -> {
                            if (p.stage() == CrashPoint.Stage.RECOVERY) {
                                recoveryCase(p, seed, dir);
                            } else {
                                workloadCase(p, seed, dir);
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
                + " workload did not reach it):\n");
        long total = 0;
        List<CrashPoint> missing = new ArrayList<>();
        for (CrashPoint p : CrashPoint.values()) {
            long n = CRASHED.get(p).get();
            total += n;
            table.append(String.format("  %-10s %-34s %6d  %4d%n", p.stage(), p, n, NOT_REACHED.get(p).get()));
            if (n == 0 && (ONLY_POINT == null || p.name().equals(ONLY_POINT))) {
                missing.add(p);
            }
        }
        table.append(String.format("  %-45s %6d%n", "total crash cases", total));
        System.out.println(table);
        assertEquals(List.of(), missing, "crash points the matrix never crashed at");
    }

    // ---- commit, segment and checkpoint points -------------------------------------------------

    private static void workloadCase(CrashPoint point, long seed, Path dir) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        FaultyFileIO io = new FaultyFileIO();
        RandomPowerLoss chooser = new RandomPowerLoss(io, random.nextLong(), false);
        CrashInjector injector = new CrashInjector(io).powerLoss(chooser);
        long nth = 1 + random.nextInt(maxNth(point));
        injector.crashAt(point, nth);
        Writer writer = new Writer(1, random.nextLong(), new Shape(7, 300, 0));
        String context = runUntilCrash(point, nth, dir, io, injector, writer, random);
        if (context == null) {
            NOT_REACHED.get(point).incrementAndGet();
            return;
        }
        reopenAndVerify(dir, List.of(writer), new int[] {writer.acked()}, chooser.decided, context, seed);
        CRASHED.get(point).incrementAndGet();
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
            Writer writer, SplittableRandom random) {
        KeelDb db = null;
        int step = 0;
        try {
            db = KeelDb.open(dir, options(io).crashHook(injector).build());
            for (; step < MAX_STEPS && !injector.crashed(); step++) {
                int dice = random.nextInt(100);
                if (dice < 70) {
                    writer.commitNext(db);
                } else if (dice < 82) {
                    commitLarge(writer, db, random);
                } else if (dice < 94) {
                    db.checkpoint();
                } else {
                    db.close();
                    db = null;
                    db = KeelDb.open(dir, options(io).crashHook(injector).build());
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
        return "crash at " + point + " (time " + nth + ") after " + step + " steps, " + writer.acked()
                + " acknowledged of " + writer.attempted.size() + " attempted; " + injector.appliedOptions();
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

    private static void recoveryCase(CrashPoint point, long seed, Path dir) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        Writer writer = new Writer(1, random.nextLong(), new Shape(7, 300, 0));
        RecoveryMode mode = prepareDamage(point, dir, writer, random);
        if (mode == null) {
            NOT_REACHED.get(point).incrementAndGet();
            return;
        }
        // Reference: the same recovery, uninterrupted, on a copy; it also counts the point.
        Path refDir = referenceDir(dir);
        copyTree(dir, refDir);
        FaultyFileIO refIo = new FaultyFileIO();
        CrashInjector counter = new CrashInjector(refIo);
        Map<Long, Map<String, Map<Long, Map<String, Object>>>> reference;
        RecoveryReport refReport;
        try (KeelDb db = KeelDb.open(refDir, options(refIo).recoveryMode(mode).crashHook(counter).build())) {
            reference = WorkloadModel.contents(db.snapshot());
            refReport = db.recoveryReport();
        }
        long reached = counter.timesReached(point);
        if (reached == 0) {
            NOT_REACHED.get(point).incrementAndGet();
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
            KeelDb db = KeelDb.open(dir, options(io).recoveryMode(mode).crashHook(injector).build());
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
        try (KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE).recoveryMode(mode).build())) {
            assertEquals(reference, WorkloadModel.contents(db.snapshot()),
                    "recovery after a crash during recovery differs from recovery without one; " + context + "; "
                            + replay(seed));
        }
        if (mode == RecoveryMode.NORMAL) {
            reopenAndVerify(dir, List.of(writer), new int[] {writer.acked()}, null, context, seed);
        } else {
            crashAfterForceThenOpenNormal(dir, reference, random, context, seed);
        }
        CRASHED.get(point).incrementAndGet();
    }

    /**
     * After FORCE recovery the database must be an ordinary one: new commits, a power loss, and a
     * NORMAL open with the recovered state plus the acknowledged new commits.
     */
    private static void crashAfterForceThenOpenNormal(Path dir, Map<Long, Map<String, Map<Long, Map<String, Object>>>>
            reference, SplittableRandom random, String context, long seed) throws IOException {
        FaultyFileIO io = new FaultyFileIO();
        Writer later = new Writer(2, random.nextLong(), new Shape(4, 64, 0));
        KeelDb db = KeelDb.open(dir, options(io).recoveryMode(RecoveryMode.FORCE).build());
        assertEquals(reference, WorkloadModel.contents(db.snapshot()), "second FORCE open; " + context + "; "
                + replay(seed));
        later.commitNext(db);
        later.commitNext(db);
        io.powerLoss();
        closeDead(db);
        try (KeelDb reopened = KeelDb.open(dir, options(NioFileIO.INSTANCE).build())) {
            Map<Long, Map<String, Map<Long, Map<String, Object>>>> all = WorkloadModel.contents(reopened.snapshot());
            all.remove(later.owner);
            assertEquals(reference, all, "NORMAL open after FORCE recovery and a crash; " + context + "; "
                    + replay(seed));
            WorkloadModel.assertPrefixes(reopened.snapshot(), List.of(later), new int[] {2}, reference.keySet(),
                    "commits after FORCE recovery; " + context, seed);
        }
    }

    /**
     * Leaves {@code dir} in a state whose recovery reaches {@code point} and returns the mode to
     * recover it with (null if the workload did not get there).
     */
    private static RecoveryMode prepareDamage(CrashPoint point, Path dir, Writer writer, SplittableRandom random)
            throws IOException {
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
                return prepareCorruption(dir, writer, random) ? RecoveryMode.FORCE : null;
            }
            case RECOVERY_MID_SEGMENT_DELETE -> {
                // FORCE deletes every salvaged segment; NORMAL deletes empty preallocated ones.
                if (random.nextBoolean()) {
                    return prepareCorruption(dir, writer, random) ? RecoveryMode.FORCE : null;
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
        if (runUntilCrash(first, 0, dir, io, injector, writer, random) == null) {
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
    private static boolean prepareCorruption(Path dir, Writer writer, SplittableRandom random) throws IOException {
        try (KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE).build())) {
            for (int i = 0; i < 3; i++) {
                writer.commitNext(db);
            }
        }
        FaultyFileIO io = new FaultyFileIO();
        KeelDb db = KeelDb.open(dir, options(io).build());
        for (int i = 0, n = 3 + random.nextInt(10); i < n; i++) {
            writer.commitNext(db);
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
