package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.MULTIPLIER;
import static dev.keel.testkit.FaultTestSupport.closeDead;
import static dev.keel.testkit.FaultTestSupport.copyTree;
import static dev.keel.testkit.FaultTestSupport.options;
import static dev.keel.testkit.FaultTestSupport.repeat;
import static dev.keel.testkit.FaultTestSupport.replay;
import static dev.keel.testkit.WorkloadModel.contents;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.CorruptionException;
import dev.keel.Durability;
import dev.keel.KeelDb;
import dev.keel.ReadOnlyException;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.RecoveryReport.EventKind;
import dev.keel.internal.io.NioFileIO;
import dev.keel.testkit.CorruptionTargets.Aim;
import dev.keel.testkit.CorruptionTargets.Block;
import dev.keel.testkit.CorruptionTargets.Damage;
import dev.keel.testkit.CorruptionTargets.DamageKind;
import dev.keel.testkit.CorruptionTargets.Layout;
import dev.keel.testkit.CorruptionTargets.LogTx;
import dev.keel.testkit.CorruptionTargets.Segment;
import dev.keel.testkit.CorruptionTargets.Target;
import dev.keel.testkit.WorkloadModel.Op;
import dev.keel.testkit.WorkloadModel.Shape;
import dev.keel.testkit.WorkloadModel.Writer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G4 as a seeded matrix: bit flips and zeroed blocks in synced log records, segment headers,
 * preallocated log space, checkpoint headers, bodies and END blocks are detected, never served
 * as data, and handled as each recovery mode promises.
 *
 * <p>Images: a "crashed" image (SYNC, 64 KiB segments, 2 or 3 writers of {@link WorkloadModel}
 * interleaved by the seed on one thread, an explicit checkpoint in the middle, more commits across
 * a rotation, then a power loss, so the checkpoint and log segments with synced records both
 * exist) and a "clean" image (the crashed one recovered and closed: a checkpoint alone). The model
 * knows every acknowledged transaction, its byte range in the log and whether the checkpoint
 * holds it, so the expected state of each mode is exact.
 *
 * <p>Per case the seed picks a target, a damage (1..8 random bits flipped, or an aligned 512-byte
 * or 4 KiB block zeroed) and opens a fresh copy of the damaged image in each mode:
 * <ul>
 *   <li>NORMAL refuses with a {@link CorruptionException} naming the damaged file and an offset in
 *       the damaged unit (its header, the damaged transaction or checkpoint block) and changes no
 *       byte; or opens, but only (a) with a state equal to the model, when the damage changed
 *       nothing or lies after the last frame of the log (then the garbage is cut, reported and
 *       quarantined), or (b) at the documented limit of {@code LogReplay}: damage that destroys
 *       the last transactions of the log with no intact transaction after it cannot be told from a
 *       torn write; the state must then be exactly the transactions before the damage, with the cut
 *       reported and quarantined (or, if the damage turned the whole tail into zeros, nothing is
 *       left to report: the log reads as ending early). Never any other state.</li>
 *   <li>READ_ONLY writes no byte (every file hashed before and after); opens with exactly the
 *       state FORCE must recover, or refuses with a CorruptionException.</li>
 *   <li>FORCE opens (it once refused when a damaged checkpoint held the only copy of the schema,
 *       see {@link #forceOpensWhenTheOnlyCopyOfTheSchemaWasInTheDamagedCheckpoint}); serves exactly
 *       the model minus the transactions the damage touched (minus everything if only a damaged
 *       checkpoint held them); no entity differs from a value an acknowledged transaction wrote;
 *       reports the damage and keeps every damaged non-zero byte in {@code quarantine/};
 *       afterwards the directory opens cleanly in NORMAL with the same state and accepts a
 *       commit.</li>
 * </ul>
 *
 * <p>Counts: {@code 4 * MULTIPLIER} image seeds; on each crashed image every target with every
 * damage kind twice (42 cases), on each clean image every checkpoint target with every damage
 * kind (9 cases). Replay with {@code -Dkeel.test.seed=<seed>}.
 */
class CorruptionMatrixTest {
    private static final Shape SHAPE = new Shape(4, 1500, 0);
    private static final int IMAGES = 4 * MULTIPLIER;
    /** Rounds over every target and damage kind on each crashed image (21 cases a round). */
    private static final int CRASHED_ROUNDS = 2;
    private static final Duration CASE_TIMEOUT = Duration.ofSeconds(60);
    private static final Target[] CHECKPOINT_TARGETS = {Target.CHECKPOINT_HEADER, Target.CHECKPOINT_BODY,
        Target.CHECKPOINT_END};

    @TempDir
    Path tmp;

    private Path scratch;

    @BeforeEach
    void scratch() throws IOException {
        scratch = MatrixSupport.scratchBase(tmp, "keel-corruption-matrix-");
    }

    @AfterEach
    void cleanUp() {
        if (!scratch.equals(tmp)) {
            MatrixSupport.deleteTree(scratch);
        }
    }

    // ---- images and their model ------------------------------------------------------------------

    /** A database image, the writers that made it and the global commit order of their transactions. */
    record Image(String name, Path dir, List<Writer> writers, List<Integer> order, Layout layout) {

        /** Entities after the writers' transactions whose global index (1-based) passes {@code applied}. */
        Map<Long, Map<String, Map<Long, Map<String, Object>>>> model(IntPredicate applied) {
            Map<Long, Map<String, Map<Long, Map<String, Object>>>> state = new HashMap<>();
            int[] local = new int[writers.size()];
            for (int i = 1; i <= order.size(); i++) {
                int w = order.get(i - 1);
                int tx = ++local[w];
                if (!applied.test(i)) {
                    continue;
                }
                Writer writer = writers.get(w);
                for (Op op : writer.attempted.get(tx - 1)) {
                    Map<Long, Map<String, Object>> byId = state.computeIfAbsent(writer.owner, o -> {
                        Map<String, Map<Long, Map<String, Object>>> m = new HashMap<>();
                        m.put("Head", new TreeMap<>());
                        m.put("Item", new TreeMap<>());
                        return m;
                    }).get(op.type());
                    if (op.values() == null) {
                        byId.remove(op.id());
                    } else {
                        byId.put(op.id(), op.values());
                    }
                }
            }
            state.values().removeIf(m -> m.get("Head").isEmpty() && m.get("Item").isEmpty());
            return state;
        }

        /** Every value an acknowledged transaction wrote: "type#id" -> values. */
        Map<String, Set<Map<String, Object>>> everyValue() {
            Map<String, Set<Map<String, Object>>> all = new HashMap<>();
            for (Writer w : writers) {
                for (List<Op> tx : w.attempted) {
                    for (Op op : tx) {
                        if (op.values() != null) {
                            all.computeIfAbsent(op.type() + "#" + op.id(), k -> new HashSet<>()).add(op.values());
                        }
                    }
                }
            }
            return all;
        }
    }

    /**
     * Writers commit seeded, interleaved transactions (SYNC) with an explicit checkpoint in the
     * middle and a rotation, then the power goes: everything acknowledged is synced, so the image
     * is what a killed process leaves, with a checkpoint and log segments holding synced records.
     */
    private static Image crashedImage(Path dir, SplittableRandom random) throws IOException {
        FaultyFileIO io = new FaultyFileIO();
        KeelDb db = KeelDb.open(dir, options(io).durability(Durability.SYNC).build());
        List<Writer> writers = new ArrayList<>();
        int count = 2 + random.nextInt(2);
        for (int i = 0; i < count; i++) {
            writers.add(new Writer(i + 1, random.nextLong(), SHAPE));
        }
        List<Integer> order = new ArrayList<>();
        // Half the images checkpoint before the first rotation (the log then still starts with the
        // schema transaction), half after it (the first segment is retired, the log starts later).
        int beforeCheckpoint = random.nextBoolean() ? 3 + random.nextInt(30) : 70 + random.nextInt(30);
        int afterCheckpoint = 12 + random.nextInt(50);
        for (int i = 0; i < beforeCheckpoint + afterCheckpoint; i++) {
            if (i == beforeCheckpoint) {
                db.checkpoint();
            }
            int w = random.nextInt(count);
            writers.get(w).commitNext(db);
            order.add(w);
        }
        io.powerLoss();
        closeDead(db);
        return new Image("crashed", dir, writers, order, Layout.read(dir, order.size() + 1));
    }

    /** The crashed image recovered in NORMAL mode and closed: a checkpoint alone. */
    private static Image cleanImage(Image crashed, Path dir, long seed) throws IOException {
        copyTree(crashed.dir(), dir);
        try (KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE).build())) {
            assertEquals(crashed.model(i -> true), contents(db.snapshot()), "the undamaged crash image recovers the"
                    + " model; " + replay(seed));
        }
        Layout layout = Layout.read(dir, crashed.order().size() + 1);
        return new Image("clean", dir, crashed.writers(), crashed.order(), layout);
    }

    // ---- the matrix ------------------------------------------------------------------------------

    /** Case counts for the summary line. */
    private static final class Counts {
        final Map<String, Long> cases = new TreeMap<>();
        final Map<String, Long> normal = new TreeMap<>();
        final Map<String, Long> readOnly = new TreeMap<>();
        final Map<String, Long> force = new TreeMap<>();
        final Map<String, Long> forceEvents = new TreeMap<>();
        long total;

        static void add(Map<String, Long> m, String key) {
            m.merge(key, 1L, Long::sum);
        }
    }

    @Test
    void damageIsDetectedAndHandledPerMode() {
        Counts counts = new Counts();
        long started = System.nanoTime();
        repeat("CorruptionMatrixTest", IMAGES, scratch, (seed, dir) -> {
            SplittableRandom random = new SplittableRandom(seed);
            Image crashed = crashedImage(dir.resolve("image-crashed"), random);
            Image clean = cleanImage(crashed, dir.resolve("image-clean"), seed);
            System.out.println("CorruptionMatrixTest: image " + crashed.order().size() + " transactions of "
                    + crashed.writers().size() + " writers, segments " + crashed.layout().segments().stream()
                    .map(s -> s.path().getFileName() + "(" + s.txs().size() + " tx)").toList() + ", checkpoint LSN "
                    + crashed.layout().checkpointLsn() + "; " + replay(seed));
            List<Case> cases = new ArrayList<>();
            for (int round = 0; round < CRASHED_ROUNDS; round++) {
                for (Target target : Target.values()) {
                    for (DamageKind kind : DamageKind.values()) {
                        cases.add(new Case(crashed, target, kind));
                    }
                }
            }
            for (Target target : CHECKPOINT_TARGETS) {
                for (DamageKind kind : DamageKind.values()) {
                    cases.add(new Case(clean, target, kind));
                }
            }
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                long caseSeed = random.nextLong();
                Path caseDir = dir.resolve("case-" + i);
                assertTimeoutPreemptively(CASE_TIMEOUT, () -> runCase(c, caseSeed, caseDir, counts, seed),
                        () -> "hang: case " + c.target() + " " + c.kind() + " on the " + c.image().name() + " image did"
                        + " not finish within " + CASE_TIMEOUT + "; " + replay(seed));
                MatrixSupport.deleteTree(caseDir);
            }
        });
        System.out.println("CorruptionMatrixTest summary: " + counts.total + " cases on " + IMAGES + " crashed and "
                + IMAGES + " clean images, each opened in NORMAL, READ_ONLY and FORCE; by target/damage " + counts.cases
                + "; NORMAL " + counts.normal + "; READ_ONLY " + counts.readOnly + "; FORCE " + counts.force
                + ", FORCE report events " + counts.forceEvents + "; " + (System.nanoTime() - started) / 1_000_000
                + " ms");
    }

    /** One cell of the matrix: an image, a target in it and a kind of damage. */
    private record Case(Image image, Target target, DamageKind kind) {
    }

    /** What the model says about one damage. */
    private record Expectation(Layout layout, Damage damage, Segment segment, boolean checkpointDamaged,
            boolean schemaLost, boolean headerDamaged, Set<Integer> lost, LogTx firstLost, boolean tail, boolean erased,
            int unitStart, int unitEnd) {
    }

    private static Expectation expect(Image image, Damage d) {
        Layout layout = image.layout();
        Segment seg = layout.segment(d.file());
        boolean checkpointDamaged = seg == null && !d.noop();
        boolean headerDamaged = !d.noop() && d.firstChanged() < 64;
        Set<Integer> lost = new HashSet<>();
        LogTx firstLost = null;
        if (seg != null && !d.noop()) {
            for (LogTx tx : seg.txs()) {
                boolean hit = headerDamaged;
                for (int c : d.changed()) {
                    hit |= c >= tx.start() && c < tx.end();
                }
                if (hit) {
                    lost.add(tx.globalIndex());
                    if (firstLost == null) {
                        firstLost = tx;
                    }
                }
            }
        }
        boolean tail = false;
        boolean erased = false;
        int unitStart = 0;
        int unitEnd = 64;
        if (seg != null && !d.noop() && !headerDamaged) {
            int from = firstLost != null ? firstLost.start() : seg.framesEnd();
            tail = true;
            for (LogTx tx : layout.logTxs()) {
                boolean after = firstLost != null ? tx.globalIndex() > firstLost.globalIndex()
                        : layout.segments().indexOf(layout.segment(tx.segment())) > layout.segments().indexOf(seg);
                tail &= !after || lost.contains(tx.globalIndex());
            }
            erased = true;
            for (int i = from; i < d.after().length; i++) {
                erased &= d.after()[i] == 0;
            }
            unitStart = from;
            unitEnd = d.lastChanged() + 1;
        } else if (checkpointDamaged && !headerDamaged) {
            for (Block b : layout.blocks()) {
                if (d.firstChanged() >= b.start() && d.firstChanged() < b.end()) {
                    unitStart = b.start();
                }
            }
            unitEnd = d.lastChanged() + 1;
        }
        // The stored schema is in the checkpoint and in the log's first transaction; once the first
        // segment is retired, a damaged checkpoint takes the only copy with it.
        boolean schemaLost = checkpointDamaged && layout.inLog(0) == null;
        return new Expectation(layout, d, seg, checkpointDamaged, schemaLost, headerDamaged, lost, firstLost, tail,
                erased, unitStart, unitEnd);
    }

    private static void runCase(Case c, long caseSeed, Path caseDir, Counts counts, long seed) throws IOException {
        Image image = c.image();
        Target target = c.target();
        DamageKind kind = c.kind();
        SplittableRandom random = new SplittableRandom(caseSeed);
        Aim aim = CorruptionTargets.aim(image.layout(), target, random);
        if (aim == null) {
            Counts.add(counts.cases, target + "/" + kind + " (not in this image)");
            return;
        }
        Path damaged = caseDir.resolve("damaged");
        copyTree(image.dir(), damaged);
        Damage d = CorruptionTargets.apply(damaged, target, kind, aim.file(), aim.from(), aim.to(), random);
        Expectation e = expect(image, d);
        Layout layout = image.layout();
        // FORCE and READ_ONLY keep every transaction the damage did not touch, and what the
        // checkpoint holds unless the checkpoint itself is damaged.
        IntPredicate salvaged = i -> (!e.checkpointDamaged() && layout.coveredByCheckpoint(i))
                || (layout.inLog(i) != null && !e.lost().contains(i));
        String where = d + " on the " + image.name() + " image (" + image.order().size() + " transactions, log "
                + layout.logTxs().size() + " of them, checkpoint LSN " + layout.checkpointLsn() + "); transactions "
                + "touched " + new TreeSet<>(e.lost()) + ", tail " + e.tail() + "; " + replay(seed);
        counts.total++;
        Counts.add(counts.cases, target + "/" + kind);
        Counts.add(counts.normal, normal(image, e, caseDir, where));
        Counts.add(counts.readOnly, readOnly(image, e, salvaged, caseDir, where));
        Counts.add(counts.force, force(image, e, salvaged, caseDir, counts, where));
    }

    // ---- NORMAL ----------------------------------------------------------------------------------

    private static String normal(Image image, Expectation e, Path caseDir, String where) throws IOException {
        Damage d = e.damage();
        Path dir = caseDir.resolve("normal");
        copyTree(caseDir.resolve("damaged"), dir);
        Map<String, String> before = MatrixSupport.fingerprint(dir, false);
        String context = "NORMAL: " + where;
        KeelDb db;
        try {
            db = KeelDb.open(dir, options(NioFileIO.INSTANCE).recoveryMode(RecoveryMode.NORMAL).build());
        } catch (CorruptionException refused) {
            assertTrue(!d.noop(), "refused an image the damage did not change: " + refused + "; " + context);
            String named = assertRefusal(refused, e, context);
            assertEquals(before, MatrixSupport.fingerprint(dir, false), "a refusing NORMAL open must not change a"
                    + " byte: " + refused.getMessage() + "; " + context);
            return "refused, naming " + named;
        } catch (RuntimeException other) {
            throw new AssertionError("NORMAL must open or throw CorruptionException, it threw " + other + "; "
                    + context, other);
        }
        try (db) {
            RecoveryReport report = db.recoveryReport();
            Map<Long, Map<String, Map<Long, Map<String, Object>>>> actual = contents(db.snapshot());
            String with = "; report " + report.events() + "; " + context;
            if (actual.equals(image.model(i -> true))) {
                if (d.noop()) {
                    return "opened: damage changed nothing";
                }
                assertTrue(!e.checkpointDamaged(), "NORMAL opened over a damaged checkpoint" + with);
                assertTrue(!e.headerDamaged(), "NORMAL opened over a damaged segment header" + with);
                if (e.erased() && e.tail()) {
                    return "opened: equal to the model, damage erased a checkpointed tail";
                }
                assertCutReported(report, d, "NORMAL opened over damage without reporting a cut" + with);
                return "opened: equal to the model, damaged bytes after the last needed record cut and reported";
            }
            assertTrue(e.tail(), "NORMAL served a state different from the model although the damage is followed by"
                    + " intact transactions (it must refuse): " + describeDifference(image, actual) + with);
            int first = e.firstLost().globalIndex();
            assertEquals(image.model(i -> image.layout().coveredByCheckpoint(i) || i < first), actual, "NORMAL cut the"
                    + " damaged tail of the log; it must keep exactly the transactions before the damage (global"
                    + " transaction " + first + ")" + with);
            if (e.erased()) {
                return "opened: tail erased to zeros, log ends early (undetectable)";
            }
            assertCutReported(report, d, "NORMAL cut a damaged tail without reporting and quarantining it" + with);
            return "opened: damaged last transaction(s) cut as torn tail (documented limit)";
        }
    }

    /** Checks file and offset of a NORMAL refusal; returns which file it named, for the summary. */
    private static String assertRefusal(CorruptionException refused, Expectation e, String context) {
        Damage d = e.damage();
        String message = refused.getMessage();
        String named = refused.file() == null ? null : refused.file().getFileName().toString();
        assertTrue(message.contains("offset " + refused.offset()) && refused.file() != null
                && message.contains(refused.file().toString()), "the refusal must name file and offset: " + message
                + "; " + context);
        if (!d.file().getFileName().toString().equals(named)) {
            // A log that ends early in one segment shows as records missing at the start of the next.
            Segment other = e.segment() == null ? null : e.layout().segment(refused.file());
            assertTrue(other != null && other.id() > e.segment().id() && message.contains("missing"), "the refusal"
                    + " names " + named + ", not the damaged " + d.file().getFileName() + ": " + message + "; "
                    + context);
            return "the next segment (records missing)";
        }
        assertTrue(refused.offset() >= e.unitStart() && refused.offset() < Math.max(e.unitEnd(), e.unitStart() + 1),
                "the refusal's offset " + refused.offset() + " must lie in the damaged unit [" + e.unitStart() + ", "
                + e.unitEnd() + "): " + message + "; " + context);
        return "the damaged file and unit";
    }

    private static void assertCutReported(RecoveryReport report, Damage d, String message) {
        boolean reported = false;
        for (RecoveryReport.Event ev : report.events()) {
            if (ev.file() != null && ev.file().getFileName().equals(d.file().getFileName())
                    && (ev.kind() == EventKind.TORN_TAIL_CUT || ev.kind() == EventKind.INCOMPLETE_TRANSACTION_DISCARDED)
                    && ev.quarantineFile() != null && Files.isRegularFile(ev.quarantineFile())) {
                reported = true;
            }
        }
        assertTrue(reported, message);
    }

    // ---- READ_ONLY -------------------------------------------------------------------------------

    private static String readOnly(Image image, Expectation e, IntPredicate salvaged, Path caseDir, String where)
            throws IOException {
        Damage d = e.damage();
        Path dir = caseDir.resolve("read-only");
        copyTree(caseDir.resolve("damaged"), dir);
        Map<String, String> before = MatrixSupport.fingerprint(dir, true);
        String context = "READ_ONLY: " + where;
        String outcome;
        try (KeelDb db = KeelDb.open(dir, options(NioFileIO.INSTANCE).recoveryMode(RecoveryMode.READ_ONLY).build())) {
            Map<Long, Map<String, Map<Long, Map<String, Object>>>> actual = contents(db.snapshot());
            String with = "; report " + db.recoveryReport().events() + "; " + context;
            assertNoGarbage(image, actual, with);
            if (!e.schemaLost()) {
                assertEquals(image.model(salvaged), actual, "READ_ONLY must serve every transaction the damage did"
                        + " not touch, and nothing else" + with);
            }
            if (!d.noop() && !e.erased()) {
                assertTrue(db.recoveryReport().events().stream().anyMatch(ev -> ev.file() != null
                        && ev.file().getFileName().equals(d.file().getFileName())), "READ_ONLY must report the damage"
                        + with);
            }
            assertThrows(ReadOnlyException.class, db::begin, context);
            outcome = "opened";
        } catch (CorruptionException refused) {
            assertTrue(refused.file() != null && refused.getMessage().contains("offset " + refused.offset()),
                    "the refusal must name file and offset: " + refused.getMessage() + "; " + context);
            outcome = "refused";
        } catch (RuntimeException other) {
            throw new AssertionError("READ_ONLY must open or throw CorruptionException, it threw " + other + "; "
                    + context, other);
        }
        assertEquals(before, MatrixSupport.fingerprint(dir, true), "READ_ONLY changed the directory; " + context);
        return outcome;
    }

    // ---- FORCE -----------------------------------------------------------------------------------

    private static String force(Image image, Expectation e, IntPredicate salvaged, Path caseDir, Counts counts,
            String where) throws IOException {
        Damage d = e.damage();
        Path dir = caseDir.resolve("force");
        copyTree(caseDir.resolve("damaged"), dir);
        String context = "FORCE: " + where;
        KeelDb db;
        try {
            db = KeelDb.open(dir, options(NioFileIO.INSTANCE).recoveryMode(RecoveryMode.FORCE).build());
        } catch (RuntimeException refused) {
            throw new AssertionError("FORCE must open, it threw " + refused + "; " + context, refused);
        }
        Map<Long, Map<String, Map<Long, Map<String, Object>>>> actual;
        try (db) {
            RecoveryReport report = db.recoveryReport();
            actual = contents(db.snapshot());
            String with = "; report " + report.events() + "; " + context;
            assertNoGarbage(image, actual, with);
            if (!e.schemaLost()) {
                assertEquals(image.model(salvaged), actual, "FORCE must recover every transaction the damage did not"
                        + " touch, and nothing else" + with);
            }
            for (RecoveryReport.Event ev : report.events()) {
                Counts.add(counts.forceEvents, ev.kind().toString());
                if (ev.quarantineFile() != null) {
                    assertTrue(Files.isRegularFile(ev.quarantineFile()), "quarantine file missing: " + ev + with);
                }
            }
            if (!d.noop() && !e.erased()) {
                assertTrue(report.events().stream().anyMatch(ev -> ev.file() != null
                        && ev.file().getFileName().equals(d.file().getFileName())), "FORCE must report the damage"
                        + with);
                assertQuarantined(report, d, with);
            }
        }
        try (KeelDb reopened = KeelDb.open(dir, options(NioFileIO.INSTANCE).build())) {
            assertTrue(reopened.recoveryReport().clean(), "after FORCE the directory must open cleanly in NORMAL: "
                    + reopened.recoveryReport().events() + "; " + context);
            assertEquals(actual, contents(reopened.snapshot()), "NORMAL after FORCE serves what FORCE served; "
                    + context);
            new Writer(999, 7, SHAPE).commitNext(reopened);
        }
        return "opened" + (d.noop() ? " (damage changed nothing)" : "");
    }

    /** Every changed, non-zero byte of the damaged file is kept in quarantine/ (a piece or the whole file). */
    private static void assertQuarantined(RecoveryReport report, Damage d, String with) throws IOException {
        boolean whole = false;
        List<long[]> pieces = new ArrayList<>();
        for (RecoveryReport.Event ev : report.events()) {
            if (ev.quarantineFile() == null || ev.file() == null
                    || !ev.file().getFileName().equals(d.file().getFileName())) {
                continue;
            }
            byte[] kept = Files.readAllBytes(ev.quarantineFile());
            if (Arrays.equals(kept, d.after())) {
                whole = true;
            } else {
                int from = Math.toIntExact(ev.offset());
                assertTrue(from + kept.length <= d.after().length && Arrays.equals(kept, Arrays.copyOfRange(d.after(),
                        from, from + kept.length)), "quarantine file " + ev.quarantineFile().getFileName() + " does not"
                        + " hold the bytes of " + ev + with);
                pieces.add(new long[] {from, from + kept.length});
            }
        }
        if (whole) {
            return;
        }
        for (int c : d.changed()) {
            if (d.after()[c] == 0) {
                continue;
            }
            boolean kept = false;
            for (long[] p : pieces) {
                kept |= c >= p[0] && c < p[1];
            }
            assertTrue(kept, "damaged byte at offset " + c + " of " + d.file().getFileName() + " is not kept in"
                    + " quarantine/" + with);
        }
    }

    // ---- checks shared by the modes --------------------------------------------------------------

    /** No served entity differs from every value an acknowledged transaction wrote for its id. */
    private static void assertNoGarbage(Image image, Map<Long, Map<String, Map<Long, Map<String, Object>>>> actual,
            String with) {
        Map<String, Set<Map<String, Object>>> every = image.everyValue();
        for (Map<String, Map<Long, Map<String, Object>>> byType : actual.values()) {
            for (Map.Entry<String, Map<Long, Map<String, Object>>> t : byType.entrySet()) {
                for (Map.Entry<Long, Map<String, Object>> entity : t.getValue().entrySet()) {
                    Set<Map<String, Object>> allowed = every.getOrDefault(t.getKey() + "#" + entity.getKey(), Set.of());
                    assertTrue(allowed.contains(entity.getValue()), "served " + t.getKey() + "#" + entity.getKey()
                            + " = " + entity.getValue() + ", a value no acknowledged transaction wrote" + with);
                }
            }
        }
    }

    private static String describeDifference(Image image,
            Map<Long, Map<String, Map<Long, Map<String, Object>>>> actual) {
        Map<Long, Map<String, Map<Long, Map<String, Object>>>> full = image.model(i -> true);
        StringBuilder out = new StringBuilder();
        for (Long owner : new TreeSet<>(full.keySet())) {
            Map<String, Map<Long, Map<String, Object>>> a = actual.get(owner);
            out.append("owner ").append(owner).append(": head ").append(a == null ? "none" : a.get("Head").values())
                    .append(" vs model ").append(full.get(owner).get("Head").values()).append("; ");
        }
        return out.toString();
    }

    // ---- regression tests of engine bugs this matrix found ----------------------------------------

    /**
     * Found by the matrix (e.g. seed 1707942144093563736, CHECKPOINT_HEADER with 2 bits flipped on a
     * crashed image whose first segment was retired): once the segment holding the schema
     * transaction is retired, the checkpoint holds the only stored copy of the schema. If that
     * checkpoint is damaged, FORCE skips it (CHECKPOINT_SKIPPED, moved to quarantine), replays the
     * log on an empty schema and throws {@code CorruptionException: a committed transaction does not
     * apply: record for entity type id 1, which the schema does not have} (whose advice is to open
     * with FORCE). Worse, the failed FORCE open has already moved the checkpoint into quarantine/
     * although the message says "nothing was changed", so a later NORMAL open now refuses with
     * "log records with LSN 1 to n are missing". READ_ONLY refuses the same way (without changing
     * anything). FORCE must open: skip and quarantine what it cannot apply, report it, and leave a
     * directory NORMAL opens. Where: {@code LogReplay.accept} turns the
     * {@code MalformedDataException} of {@code requireType} into a CorruptionException in every
     * mode (salvage should discard the transaction instead, or decode with the declared schema),
     * and {@code Recovery.loadCheckpoint} quarantines the checkpoint before replay has succeeded.
     */
    @Test
    void forceOpensWhenTheOnlyCopyOfTheSchemaWasInTheDamagedCheckpoint() throws IOException {
        Path dir = scratch.resolve("schema-only-in-checkpoint");
        FaultyFileIO io = new FaultyFileIO();
        KeelDb db = KeelDb.open(dir, options(io).build());
        String payload = "x".repeat(4000);
        for (long tx = 1; tx <= 21; tx++) { // about 84 KB: the log rotates into segment 2
            long n = tx;
            db.execute(t -> t.insert("Item", Map.of("owner", 1L, "tx", n, "slot", 0L, "payload", payload)));
        }
        db.checkpoint(); // retires segment 1, which held the schema transaction
        db.execute(t -> t.insert("Item", Map.of("owner", 1L, "tx", 22L, "slot", 0L, "payload", payload)));
        io.powerLoss();
        closeDead(db);
        Path checkpoint;
        try (var files = Files.list(dir)) {
            checkpoint = files.filter(f -> f.getFileName().toString().endsWith(".kcp")).findFirst().orElseThrow();
        }
        byte[] data = Files.readAllBytes(checkpoint);
        data[data.length - 3] ^= 0x10; // inside the END block
        Files.write(checkpoint, data);

        try (KeelDb forced = KeelDb.open(dir, options(NioFileIO.INSTANCE).recoveryMode(RecoveryMode.FORCE).build())) {
            RecoveryReport report = forced.recoveryReport();
            assertTrue(report.events().stream().anyMatch(ev -> ev.kind() == EventKind.CHECKPOINT_SKIPPED),
                    report.events().toString());
            forced.snapshot().scan("Item").forEach(e -> assertEquals(payload, e.getText("payload")));
        }
        try (KeelDb reopened = KeelDb.open(dir, options(NioFileIO.INSTANCE).build())) {
            assertTrue(reopened.recoveryReport().clean(), reopened.recoveryReport().events().toString());
        }
    }
}
