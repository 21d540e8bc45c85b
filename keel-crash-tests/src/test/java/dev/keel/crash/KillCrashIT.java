package dev.keel.crash;

import static dev.keel.crash.ChildJvmSupport.copyTree;
import static dev.keel.crash.ChildJvmSupport.deleteTree;
import static dev.keel.crash.ChildJvmSupport.privateClassPath;
import static dev.keel.crash.ChildJvmSupport.sameValues;
import static dev.keel.crash.ChildJvmSupport.show;
import static dev.keel.crash.CrashWorkload.ITEM;
import static dev.keel.crash.CrashWorkload.LEDGER;

import dev.keel.Entity;
import dev.keel.KeelDb;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.RecoveryReport.EventKind;
import dev.keel.Snapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The real kill test (STYLE habit 8): a seeded child JVM ({@link CrashWorkload}) commits durable,
 * multi-entity transactions from 1 to 4 threads and prints each acknowledged commit; this test
 * kills it with SIGKILL at a random moment, reopens the directory in NORMAL mode and checks that
 * <ul>
 *   <li>the database opens (a killed process never leaves damage NORMAL refuses);</li>
 *   <li>every acknowledged transaction is present with exactly the values and the version (commit
 *       LSN) its ACK line implies, unless a later acknowledged one changed the same entity;</li>
 *   <li>nothing else is there: the one transaction per thread that was in {@code commit()} when the
 *       kill came is either wholly present or wholly absent, never partly;</li>
 *   <li>the recovery report is consistent: only the findings a kill can cause, cut bytes kept in
 *       quarantine byte for byte, LSNs that cover every acknowledged commit, and the same report when
 *       the child recovers the same crashed bytes; a clean reopen after that reports nothing.</li>
 * </ul>
 * Half of the iterations kill the same directory several times, so the child also recovers
 * databases that were recovered (and sometimes killed during recovery) before. The kill is a
 * SIGKILL sent through the child's {@code ProcessHandle}, 50 to 1500 ms after READY (or 0 to 40 ms
 * after OPENING, inside recovery).
 *
 * <p>Verification runs on a copy of the crashed directory, so the original stays exactly as the
 * kill left it for the next child to recover (and for {@code target/failed-dbs/<seed>/} on failure).
 *
 * <p>{@code -Dkeel.crash.iterations} (30 in the default build; 300 with {@code -Pcrash-long}), {@code -Dkeel.test.seed}
 * replays the same workloads and kill delays (kill instants still depend on timing), and
 * {@code -Dkeel.crash.iteration=i} runs only iteration {@code i} of that seed.
 */
class KillCrashIT {
    private static final long READY_TIMEOUT_MILLIS = 60_000;
    private static final long TX_NUMBERS_PER_GENERATION = 1_000_000;
    private static final Set<EventKind> KILL_EVENTS = EnumSet.of(EventKind.TORN_TAIL_CUT,
            EventKind.INCOMPLETE_TRANSACTION_DISCARDED, EventKind.TEMP_FILE_REMOVED, EventKind.STALE_GENERATION);

    private final Stats stats = new Stats();
    /** The children's class path: jars copied once per run (see {@link #privateClassPath}). */
    private String childClassPath;

    @Test
    void killedWriterNeverLosesAnAcknowledgedCommitNorShowsAPartialOne() throws Exception {
        String seedProperty = System.getProperty("keel.test.seed");
        long seed = seedProperty != null && !seedProperty.isBlank() ? Long.parseLong(seedProperty.trim())
                : new SecureRandom().nextLong();
        int iterations = Integer.getInteger("keel.crash.iterations", 12);
        Integer only = Integer.getInteger("keel.crash.iteration");
        Path target = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("target");
        System.out.println("KillCrashIT seed=" + seed + " iterations=" + iterations
                + (only != null ? " only iteration " + only : "") + " (replay with -Dkeel.test.seed=" + seed + ")");
        long start = System.nanoTime();
        preloadEngineClasses();
        childClassPath = privateClassPath(target.resolve("crash-work").resolve(Long.toString(seed)).resolve("lib"));
        for (int i = 0; i < iterations; i++) {
            if (only == null || only == i) {
                new Iteration(seed, i, target).run();
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        deleteTree(target.resolve("crash-work").resolve(Long.toString(seed)));
        System.out.println(stats.summary(seed, millis));
        if (stats.acked == 0) {
            throw new AssertionError("no child acknowledged a single commit before it was killed; the test proved"
                    + " nothing. seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + ")");
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** One directory, killed {@code kills} times in a row. */
    private final class Iteration {
        final long seed;
        final int index;
        final Random rnd;
        final Path workDir;
        final Path dbDir;
        final Path failedRoot;
        /** Verified state of the database after the previous kill. */
        Map<Key, Expected> state = new TreeMap<>();
        /** The parent's report for the crashed bytes the next child will recover. */
        RecoveryReport previousReport;
        String where = "";
        int kill;
        ChildRun run;
        Path verifyDir;

        Iteration(long seed, int index, Path target) {
            this.seed = seed;
            this.index = index;
            this.rnd = new Random(CrashWorkload.mix(seed, index));
            this.workDir = target.resolve("crash-work").resolve(Long.toString(seed)).resolve("iter-" + index);
            this.dbDir = workDir.resolve("db");
            this.failedRoot = target.resolve("failed-dbs").resolve(Long.toString(seed));
        }

        void run() throws Exception {
            try {
                runKills();
            } catch (AssertionError e) {
                throw e;
            } catch (Exception | Error e) {
                fail("the test itself failed: " + stackTrace(e));
            }
        }

        void runKills() throws Exception {
            deleteTree(workDir);
            Files.createDirectories(dbDir);
            int kills = rnd.nextBoolean() ? 1 : 2 + rnd.nextInt(3);
            for (int k = 0; k < kills; k++) {
                kill = k;
                verifyDir = null;
                int threads = 1 + rnd.nextInt(4);
                boolean duringOpen = k > 0 && rnd.nextInt(6) == 0;
                long delayMillis = duringOpen ? rnd.nextInt(40) : 50 + rnd.nextInt(1451);
                long childSeed = rnd.nextLong();
                long firstTx = (k + 1) * TX_NUMBERS_PER_GENERATION;
                where = "iteration " + index + ", kill " + (k + 1) + "/" + kills + " (threads=" + threads + ", killed "
                        + delayMillis + " ms after " + (duringOpen ? "OPENING, i.e. during recovery" : "READY")
                        + ", child seed " + childSeed + ")";
                long t0 = System.nanoTime();
                runChild(childSeed, threads, firstTx, k, duringOpen, delayMillis);
                verifyDir = workDir.resolve("verify-" + k);
                verify();
                stats.kills++;
                stats.killsDuringOpen += duringOpen ? 1 : 0;
                long ms = (System.nanoTime() - t0) / 1_000_000;
                stats.maxKillMillis = Math.max(stats.maxKillMillis, ms);
                System.out.printf("  %s: %d ACKed, %s, %d ms%n", where, run.acks, run.note, ms);
            }
            deleteTree(workDir);
        }

        // ---- the child ----

        ChildRun runChild(long childSeed, int threads, long firstTx, int generation, boolean duringOpen,
                long delayMillis) throws Exception {
            String java = ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            List<String> cmd = List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", childClassPath, CrashWorkload.class.getName(),
                    dbDir.toString(), Long.toString(childSeed), Integer.toString(threads), Long.toString(firstTx),
                    Integer.toString(generation));
            ChildRun r = new ChildRun();
            run = r;
            Process p = new ProcessBuilder(cmd).start();
            r.process = p;
            Thread outReader = new Thread(() -> r.readStdout(p.getInputStream()), "child-stdout");
            Thread errReader = new Thread(() -> r.readStderr(p.getErrorStream()), "child-stderr");
            outReader.start();
            errReader.start();
            CountDownLatch awaited = duringOpen ? r.opening : r.ready;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
            while (!awaited.await(20, TimeUnit.MILLISECONDS)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    break;
                }
            }
            boolean reached = awaited.getCount() == 0;
            if (reached) {
                Thread.sleep(delayMillis);
            }
            r.aliveAtKill = p.isAlive();
            // SIGKILL. Through the ProcessHandle, because Process.destroyForcibly() also closes our
            // ends of the child's pipes, which would drop the ACK lines still buffered in them.
            p.toHandle().destroyForcibly();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                fail("the child did not die within 30 s of SIGKILL");
            }
            r.exitCode = p.exitValue();
            p.getOutputStream().close();
            outReader.join(10_000);
            errReader.join(10_000);
            if (!reached) {
                fail("the child never printed " + (duringOpen ? "OPENING" : "READY") + " (within "
                        + READY_TIMEOUT_MILLIS + " ms; alive=" + r.aliveAtKill + ", exit code " + r.exitCode + ")");
            }
            return r;
        }

        // ---- verification ----

        void verify() throws IOException {
            Map<Key, Expected> expected = new TreeMap<>(state);
            Map<Integer, Long> lastAckLsn = new HashMap<>();
            Map<Integer, Tx> pending = new TreeMap<>();
            long maxAckLsn = 0;
            long recoveredMaxVersion = maxVersion(state);
            RecoveryLine recovered = null;
            List<String> childEvents = new ArrayList<>();
            List<String> lines = run.lines();
            for (String line : lines) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "OPENING", "READY" -> {
                    }
                    case "RECOVERED" -> recovered = new RecoveryLine(Long.parseLong(f[1]), Long.parseLong(f[2]),
                            Long.parseLong(f[3]), Long.parseLong(f[4]), Integer.parseInt(f[5]));
                    case "RECOVERY" -> {
                        childEvents.add(String.join(" ", Arrays.copyOfRange(f, 1, f.length)));
                        stats.childEvents.merge(f[1], 1, Integer::sum);
                    }
                    case "TRY" -> {
                        Tx tx = new Tx(Long.parseLong(f[1]), Integer.parseInt(f[2]), -1, f[3]);
                        Tx before = pending.put(tx.owner, tx);
                        if (before != null) {
                            fail("protocol: thread " + tx.owner + " printed TRY " + tx.number + " while TRY "
                                    + before.number + " had no ACK");
                        }
                    }
                    case "ACK" -> {
                        Tx tx = new Tx(Long.parseLong(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3]), f[4]);
                        Tx tried = pending.remove(tx.owner);
                        if (tried == null || tried.number != tx.number || !tried.ops.equals(tx.ops)) {
                            fail("protocol: ACK " + tx.number + " of thread " + tx.owner + " does not match its TRY "
                                    + tried);
                        }
                        long previous = lastAckLsn.getOrDefault(tx.owner, 0L);
                        if (tx.lsn <= previous || tx.lsn <= recoveredMaxVersion) {
                            fail("ACK " + tx.number + " has commit LSN " + tx.lsn + ", not above thread " + tx.owner
                                    + "'s previous ACK (" + previous + ") and the recovered state ("
                                    + recoveredMaxVersion + ")");
                        }
                        apply(expected, tx, tx.lsn);
                        lastAckLsn.put(tx.owner, tx.lsn);
                        maxAckLsn = Math.max(maxAckLsn, tx.lsn);
                        run.acks++;
                    }
                    case "CKPT" -> {
                        int owner = Integer.parseInt(f[1]);
                        long lsn = Long.parseLong(f[2]);
                        if (lsn < lastAckLsn.getOrDefault(owner, 0L)) {
                            fail("db.checkpoint() returned LSN " + lsn + ", below the commit (LSN "
                                    + lastAckLsn.get(owner) + ") the same thread had acknowledged before");
                        }
                        stats.explicitCheckpoints++;
                    }
                    case "FAIL" -> fail("the child failed: " + line);
                    default -> fail("protocol: unexpected child output line: " + line);
                }
            }
            if (!run.fragment.isEmpty()) {
                fail("protocol: the child's output ends in a partial line '" + run.fragment + "'");
            }
            if (!run.aliveAtKill) {
                fail("the child exited by itself with code " + run.exitCode + " before it was killed");
            }
            if (recovered != null && previousReport != null) {
                boolean allEventsPrinted = childEvents.size() == recovered.events
                        || lines.stream().anyMatch(l -> l.startsWith("READY"));
                compareChildRecovery(recovered, allEventsPrinted ? childEvents : null);
                stats.recoveriesCompared++;
            }
            String childRecovery = recovered == null ? "child killed before its recovery finished"
                    : "child recovered to LSN " + recovered.lastLsn;

            copyTree(dbDir, verifyDir);
            try (KeelDb db = openForVerification()) {
                RecoveryReport report = db.recoveryReport();
                Snapshot snap = db.snapshot();
                List<String> notes = new ArrayList<>();
                for (Tx tx : pending.values()) {
                    resolvePending(snap, expected, tx, lastAckLsn.getOrDefault(tx.owner, 0L), notes);
                }
                Map<Key, Entity> actual = readAll(snap);
                compareState(expected, actual, pending, maxAckLsn);
                checkReport(report, snap, actual, maxAckLsn);
                previousReport = report;
                run.note = childRecovery + "; " + describe(report) + (notes.isEmpty() ? "" : ", in flight: " + String.join(" ", notes));
                state = new TreeMap<>();
                for (Map.Entry<Key, Entity> e : actual.entrySet()) {
                    state.put(e.getKey(), new Expected(e.getValue().values(), e.getValue().version(), 0));
                }
                stats.acked += run.acks;
                stats.maxEntities = Math.max(stats.maxEntities, actual.size());
            } catch (AssertionError e) {
                throw e;
            } catch (RuntimeException e) {
                fail("the database did not open in NORMAL mode after the kill (or reading it failed): "
                        + stackTrace(e));
            }
            reopenAfterCleanClose();
            deleteTree(verifyDir);
        }

        KeelDb openForVerification() {
            try {
                return KeelDb.open(verifyDir, CrashWorkload.options());
            } catch (RuntimeException e) {
                fail("the database refused to open in NORMAL mode after a kill: " + stackTrace(e));
                throw e;
            }
        }

        /**
         * Decides whether the transaction that was in commit() at the kill committed, and fails if it
         * is visible in part: each of its effects (the final write to each entity it touched) is
         * checked on its own, so a half-applied transaction is named as such.
         */
        void resolvePending(Snapshot snap, Map<Key, Expected> expected, Tx tx, long ownerLastAck, List<String> notes) {
            Map<Key, Character> finalOp = new LinkedHashMap<>();
            Set<Key> insertedHere = new HashSet<>();
            for (Op op : tx.parsedOps()) {
                Key key = new Key(op.kind == 'L' ? LEDGER : ITEM, op.id);
                finalOp.put(key, op.kind);
                if (op.kind == 'I' || op.kind == 'L') {
                    insertedHere.add(key);
                }
            }
            List<String> applied = new ArrayList<>();
            List<String> notApplied = new ArrayList<>();
            for (Map.Entry<Key, Character> e : finalOp.entrySet()) {
                Entity now = snap.get(e.getKey().type, e.getKey().id).orElse(null);
                String what = e.getValue() + " " + e.getKey();
                if (e.getValue() == 'D') {
                    if (insertedHere.contains(e.getKey())) {
                        continue; // inserted and deleted by this transaction: absent either way
                    }
                    (now == null ? applied : notApplied).add(what);
                } else {
                    (now != null && Long.valueOf(tx.number).equals(now.getLong("tx")) ? applied : notApplied).add(what);
                }
            }
            if (!applied.isEmpty() && !notApplied.isEmpty()) {
                fail("PARTIAL TRANSACTION: " + tx + ", in commit() at the kill, is visible in part: applied "
                        + applied + ", not applied " + notApplied);
            }
            if (applied.isEmpty()) {
                notes.add("tx " + tx.number + " lost");
                stats.inFlightLost++;
                return;
            }
            Entity ledger = snap.get(LEDGER, tx.ledgerId()).orElseThrow();
            if (ledger.version() <= ownerLastAck) {
                fail("in-flight transaction " + tx.number + " committed at LSN " + ledger.version()
                        + ", not after its thread's last acknowledged commit (LSN " + ownerLastAck + ")");
            }
            notes.add("tx " + tx.number + " committed");
            stats.inFlightCommitted++;
            apply(expected, tx, ledger.version());
        }

        void compareState(Map<Key, Expected> expected, Map<Key, Entity> actual, Map<Integer, Tx> pending,
                long maxAckLsn) {
            List<String> diffs = new ArrayList<>();
            for (Map.Entry<Key, Expected> e : expected.entrySet()) {
                Entity a = actual.get(e.getKey());
                Expected x = e.getValue();
                if (a == null) {
                    diffs.add("MISSING " + e.getKey() + " (expected tx " + x.values.get("tx") + ", version "
                            + x.version + ")" + ackedNote(x.version, maxAckLsn));
                } else if (!sameValues(x.values, a.values())) {
                    diffs.add("WRONG VALUES " + e.getKey() + ": expected " + show(x.values) + " v" + x.version
                            + ", found " + show(a.values()) + " v" + a.version());
                } else if (a.version() != x.version) {
                    diffs.add("WRONG VERSION " + e.getKey() + ": expected " + x.version + ", found " + a.version()
                            + " (values match, tx " + x.values.get("tx") + ")");
                }
            }
            for (Map.Entry<Key, Entity> e : actual.entrySet()) {
                if (!expected.containsKey(e.getKey())) {
                    diffs.add("UNEXPECTED " + e.getValue() + " (no acknowledged or in-flight transaction wrote it"
                            + " last; deleted by an acknowledged one, or a phantom)");
                }
            }
            if (!diffs.isEmpty()) {
                fail(diffs.size() + " differences between the recovered database and the acknowledged commits"
                        + " (in flight at the kill: " + pending.values() + "):\n    "
                        + String.join("\n    ", diffs.subList(0, Math.min(25, diffs.size())))
                        + (diffs.size() > 25 ? "\n    ..." : ""));
            }
        }

        void checkReport(RecoveryReport r, Snapshot snap, Map<Key, Entity> actual, long maxAckLsn) throws IOException {
            List<String> problems = new ArrayList<>();
            long maxVersion = actual.values().stream().mapToLong(Entity::version).max().orElse(0);
            if (r.mode() != RecoveryMode.NORMAL) {
                problems.add("mode " + r.mode());
            }
            if (r.lastLsn() < maxAckLsn) {
                problems.add("lastLsn " + r.lastLsn() + " is below the last acknowledged commit " + maxAckLsn);
            }
            if (r.lastLsn() < maxVersion) {
                problems.add("lastLsn " + r.lastLsn() + " is below the version of a recovered entity " + maxVersion);
            }
            if (snap.lsn() < r.lastLsn()) {
                problems.add("snapshot LSN " + snap.lsn() + " is below the report's lastLsn " + r.lastLsn());
            }
            if (r.checkpointLsn() > r.lastLsn() || r.checkpointLsn() < 0) {
                problems.add("checkpointLsn " + r.checkpointLsn() + " outside [0, lastLsn " + r.lastLsn() + "]");
            }
            if ((r.checkpointFile() == null) != (r.checkpointLsn() == 0)) {
                problems.add("checkpointFile " + r.checkpointFile() + " with checkpointLsn " + r.checkpointLsn());
            }
            if (r.recordsReplayed() < r.transactionsReplayed() || r.transactionsReplayed() < 0
                    || r.transactionsRolledBack() < 0 || r.segmentsRead() < 0 || r.bytesRead() < 0) {
                problems.add("inconsistent counters");
            }
            int cuts = 0;
            for (RecoveryReport.Event e : r.events()) {
                stats.parentEvents.merge(e.kind().name(), 1, Integer::sum);
                if (!KILL_EVENTS.contains(e.kind())) {
                    problems.add("a killed process cannot cause " + e);
                    continue;
                }
                if (e.file() == null || e.offset() < 0 || e.length() < 0 || e.detail() == null) {
                    problems.add("incomplete event " + e);
                    continue;
                }
                if (e.kind() == EventKind.STALE_GENERATION) {
                    String name = e.file().getFileName().toString();
                    if (!(name.startsWith("wal-") || name.startsWith("checkpoint-")) || e.lsn() > r.checkpointLsn()) {
                        problems.add("stale generation that is not covered by the checkpoint: " + e);
                    }
                    continue;
                }
                if (e.kind() == EventKind.TEMP_FILE_REMOVED) {
                    if (!e.file().getFileName().toString().endsWith(".tmp")) {
                        problems.add("removed a file that is not a temporary file: " + e);
                    }
                    continue;
                }
                cuts++;
                if (e.lsn() < maxAckLsn || e.lsn() > r.lastLsn()) {
                    problems.add("cut after LSN " + e.lsn() + ", but acknowledged commits reach " + maxAckLsn
                            + " (lastLsn " + r.lastLsn() + "): " + e);
                }
                if (e.length() == 0 || e.quarantineFile() == null || !Files.isRegularFile(e.quarantineFile())) {
                    problems.add("cut bytes not kept in quarantine: " + e);
                    continue;
                }
                byte[] kept = Files.readAllBytes(e.quarantineFile());
                Path original = dbDir.resolve(e.file().getFileName());
                byte[] cut = new byte[(int) e.length()];
                if (Files.isRegularFile(original)) {
                    byte[] all = Files.readAllBytes(original);
                    if (e.offset() + e.length() <= all.length) {
                        System.arraycopy(all, (int) e.offset(), cut, 0, cut.length);
                    }
                }
                if (!Arrays.equals(kept, cut)) {
                    problems.add("quarantine file " + e.quarantineFile().getFileName() + " (" + kept.length
                            + " bytes) does not hold the cut bytes of the crashed file: " + e);
                }
            }
            if (r.transactionsRolledBack() > cuts) {
                problems.add(r.transactionsRolledBack() + " transactions rolled back but only " + cuts + " cut events");
            }
            if (!problems.isEmpty()) {
                fail("inconsistent recovery report " + r + ":\n    " + String.join("\n    ", problems));
            }
        }

        /**
         * The child recovered the very bytes the parent recovered last time: the reports must agree.
         * {@code childEvents} is null when the kill came before the child printed them all.
         */
        void compareChildRecovery(RecoveryLine child, List<String> childEvents) {
            RecoveryReport p = previousReport;
            List<String> parentEvents = new ArrayList<>();
            for (RecoveryReport.Event e : p.events()) {
                parentEvents.add(e.kind() + " " + e.file().getFileName() + " " + e.offset() + " " + e.length() + " "
                        + e.lsn());
            }
            RecoveryLine parent = new RecoveryLine(p.lastLsn(), p.checkpointLsn(), p.transactionsReplayed(),
                    p.transactionsRolledBack(), p.events().size());
            if (childEvents != null) {
                childEvents = new ArrayList<>(childEvents);
                Collections.sort(childEvents);
                Collections.sort(parentEvents); // the order of temp files found follows the directory listing
            }
            if (!parent.equals(child) || (childEvents != null && !parentEvents.equals(childEvents))) {
                fail("recovery is not deterministic: the child recovered the crashed directory as " + child + " "
                        + childEvents + ", the parent recovered a copy of the same bytes as " + parent + " "
                        + parentEvents);
            }
        }

        /** After the verifying open closed cleanly, a reopen must find nothing to repair and the same data. */
        void reopenAfterCleanClose() {
            try (KeelDb db = KeelDb.open(verifyDir, CrashWorkload.options())) {
                RecoveryReport r = db.recoveryReport();
                if (!r.clean() || r.transactionsReplayed() != 0 || r.transactionsRolledBack() != 0) {
                    fail("reopening after a clean close should find nothing to repair or replay, but reports " + r);
                }
                Map<Key, Entity> again = readAll(db.snapshot());
                Map<Key, Entity> before = new TreeMap<>();
                state.forEach((k, v) -> before.put(k, new Entity(k.type, k.id, v.version, new LinkedHashMap<>(v.values))));
                if (!again.equals(before)) {
                    fail("data changed across a clean close and reopen: " + again.size() + " entities now, "
                            + before.size() + " before");
                }
            } catch (AssertionError e) {
                throw e;
            } catch (RuntimeException e) {
                fail("reopening after a clean close failed: " + stackTrace(e));
            }
        }

        // ---- failure ----

        void fail(String problem) {
            StringBuilder m = new StringBuilder(problem).append("\n  at ").append(where)
                    .append("\n  seed=").append(seed).append(" (replay with -Dkeel.test.seed=").append(seed)
                    .append("; this iteration alone: add -Dkeel.crash.iteration=").append(index).append(')');
            try {
                Path keep = failedRoot.resolve("iter-" + index + "-kill-" + (kill + 1));
                deleteTree(keep);
                copyTree(dbDir, keep.resolve("crashed"));
                if (verifyDir != null && Files.exists(verifyDir)) {
                    copyTree(verifyDir, keep.resolve("recovered"));
                }
                if (run != null) {
                    Files.write(keep.resolve("child-stdout.txt"), run.lines(), StandardCharsets.UTF_8);
                    Files.writeString(keep.resolve("child-stderr.txt"), run.stderr(), StandardCharsets.UTF_8);
                }
                m.append("\n  database kept in ").append(keep).append(" (crashed/ as the kill left it, recovered/"
                        + " after the verifying open)");
            } catch (IOException | UncheckedIOException e) {
                m.append("\n  (keeping the database failed: ").append(e).append(')');
            }
            if (run != null) {
                String err = run.stderr();
                m.append("\n  child exit code ").append(run.exitCode).append(", stderr")
                        .append(err.length() > 6000 ? " (last 6000 chars)" : "").append(":\n")
                        .append(err.length() > 6000 ? err.substring(err.length() - 6000) : err);
            }
            throw new AssertionError(m.toString());
        }
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Loads every class of the keel-core jar now. The verifying opens run in this JVM and load classes
     * lazily (the torn-tail repair classes only when a kill first tears a write), and a concurrent
     * {@code mvn install} rewriting that jar turns such a late load into a NoClassDefFoundError.
     */
    private static void preloadEngineClasses() throws Exception {
        Path jar = Path.of(KeelDb.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isRegularFile(jar)) {
            return; // a classes directory: nothing rewrites it under us in a way preloading would fix
        }
        ClassLoader loader = KeelDb.class.getClassLoader();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry e : Collections.list(file.entries())) {
                String name = e.getName();
                if (name.endsWith(".class") && !name.endsWith("module-info.class")) {
                    Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                }
            }
        }
    }

    /** Applies an acknowledged (or committed in-flight) transaction to the model, in op order. */
    private static void apply(Map<Key, Expected> model, Tx tx, long version) {
        for (Op op : tx.parsedOps()) {
            switch (op.kind) {
                case 'I' -> model.put(new Key(ITEM, op.id),
                        new Expected(CrashWorkload.insertValues(tx.number, tx.owner, op.k), version, tx.number));
                case 'U' -> {
                    Expected old = model.get(new Key(ITEM, op.id));
                    Map<String, Object> v = new LinkedHashMap<>(old == null ? Map.of() : old.values);
                    CrashWorkload.updateChanges(tx.number, tx.owner, op.id).forEach((name, value) -> {
                        if (value == null) {
                            v.remove(name);
                        } else {
                            v.put(name, value);
                        }
                    });
                    model.put(new Key(ITEM, op.id), new Expected(v, version, tx.number));
                }
                case 'D' -> model.remove(new Key(ITEM, op.id));
                default -> model.put(new Key(LEDGER, op.id), new Expected(
                        CrashWorkload.ledgerValues(tx.number, tx.owner, tx.parsedOps().size() - 1), version, tx.number));
            }
        }
    }

    private static long maxVersion(Map<Key, Expected> model) {
        return model.values().stream().mapToLong(Expected::version).max().orElse(0);
    }

    private static Map<Key, Entity> readAll(Snapshot snap) {
        Map<Key, Entity> all = new TreeMap<>();
        for (String type : List.of(ITEM, LEDGER)) {
            try (Stream<Entity> s = snap.scan(type)) {
                s.forEach(e -> all.put(new Key(type, e.id()), e));
            }
            long scanned = all.keySet().stream().filter(k -> k.type.equals(type)).count();
            if (snap.count(type) != scanned) {
                throw new IllegalStateException("count(" + type + ") = " + snap.count(type) + " but scan(" + type
                        + ") returned " + scanned + " entities");
            }
        }
        return all;
    }



    private static String ackedNote(long version, long maxAckLsn) {
        return version <= maxAckLsn ? " -- an ACKNOWLEDGED write is lost" : "";
    }

    private static String describe(RecoveryReport r) {
        Map<String, Integer> kinds = new TreeMap<>();
        r.events().forEach(e -> kinds.merge(e.kind().name(), 1, Integer::sum));
        return "recovered to LSN " + r.lastLsn() + " from checkpoint " + r.checkpointLsn() + " + "
                + r.transactionsReplayed() + " tx in " + r.segmentsRead() + " segments"
                + (kinds.isEmpty() ? ", clean" : ", events " + kinds);
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }



    // ---------------------------------------------------------------------------------------------

    /** An entity's identity; sorts by type, then id. */
    private record Key(String type, long id) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = type.compareTo(o.type);
            return c != 0 ? c : Long.compare(id, o.id);
        }

        @Override
        public String toString() {
            return type + "#" + id;
        }
    }

    /** What an entity must look like: its non-null values and version (commit LSN). */
    private record Expected(Map<String, Object> values, long version, long tx) {
    }

    private record Op(char kind, long id, int k) {
    }

    /** A TRY or ACK line. {@code lsn} is -1 for TRY. */
    private record Tx(long number, int owner, long lsn, String ops) {
        List<Op> parsedOps() {
            List<Op> list = new ArrayList<>();
            for (String s : ops.split(",")) {
                char kind = s.charAt(0);
                int dot = s.indexOf('.');
                long id = Long.parseLong(dot < 0 ? s.substring(1) : s.substring(1, dot));
                int k = dot < 0 ? -1 : Integer.parseInt(s.substring(dot + 1));
                list.add(new Op(kind, id, k));
            }
            return list;
        }

        long ledgerId() {
            List<Op> list = parsedOps();
            return list.get(list.size() - 1).id;
        }

        @Override
        public String toString() {
            return "tx " + number + " (thread " + owner + ": " + ops + ")";
        }
    }

    private record RecoveryLine(long lastLsn, long checkpointLsn, long txReplayed, long txRolledBack, int events) {
    }

    /** What the whole run saw, printed at the end. */
    private static final class Stats {
        int kills;
        int killsDuringOpen;
        long acked;
        int inFlightCommitted;
        int inFlightLost;
        int explicitCheckpoints;
        int recoveriesCompared;
        int maxEntities;
        long maxKillMillis;
        final Map<String, Integer> parentEvents = new TreeMap<>();
        final Map<String, Integer> childEvents = new TreeMap<>();

        String summary(long seed, long millis) {
            return "KillCrashIT seed=" + seed + ": " + kills + " kills (" + killsDuringOpen + " during recovery) in "
                    + millis + " ms (slowest kill+verify " + maxKillMillis + " ms); " + acked + " acknowledged"
                    + " transactions all present; in flight at the kill: " + inFlightCommitted + " committed, "
                    + inFlightLost + " lost, none partial; " + explicitCheckpoints + " explicit checkpoints;"
                    + " up to " + maxEntities + " entities; recovery events seen by the verifying opens "
                    + parentEvents + ", by the children reopening crashed directories " + childEvents + " ("
                    + recoveriesCompared + " child recoveries matched the parent's recovery of the same bytes)";
        }
    }
}
