package dev.keel.crash;

import static dev.keel.crash.ChildJvmSupport.copyTree;
import static dev.keel.crash.ChildJvmSupport.sameValues;
import static dev.keel.crash.ChildJvmSupport.show;

import dev.keel.Durability;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelException;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.RecoveryReport;
import dev.keel.Snapshot;
import dev.keel.Transaction;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The child JVM of {@link RealDiskFullIT}. It runs inside a private mount namespace on a small
 * tmpfs that the parent's {@code unshare --mount sh -c 'mount -t tmpfs ...'} mounted at
 * {@code <mount dir>}, so the disk it fills is a real file system returning a real ENOSPC, and
 * nothing it does is visible outside the namespace (the tmpfs vanishes when this process exits).
 *
 * <p>Steps: open a database (SYNC, 64 KiB segments) in {@code <mount>/db}; write a ballast file
 * that leaves only a seeded amount of room; commit seeded transactions until one fails; check the
 * failure (a {@link KeelException} whose message names the usable space) and that every
 * acknowledged commit is still readable from the same open database; try a write while the disk is
 * still full; delete the ballast; try a write on the same database (accepted without a restart, or
 * refused until reopen: both allowed, the line says which); close (it may throw); reopen in NORMAL
 * mode and check every acknowledged commit and no partial transaction; commit more; close; reopen
 * and check again.
 *
 * <p>Every transaction inserts {@link #entityCount} entities of type {@code Chunk}, all carrying its
 * number in field {@code tx}, their index in {@code k} and the count in {@code n}, and seeded
 * content ({@link #values}), so every check is exact and a partially visible transaction shows.
 *
 * <p>Output, one line per fact on stdout (the parent asserts on them):
 * <pre>
 * SEED &lt;seed&gt;
 * MOUNT &lt;dir&gt; type=&lt;fs type&gt; total=&lt;bytes&gt; usable=&lt;bytes&gt;
 * OPENED &lt;recovery summary&gt;
 * BALLAST bytes=&lt;n&gt; headroom=&lt;n&gt; usable=&lt;bytes left&gt;
 * DISK_FULL tx=&lt;n&gt; acked=&lt;n&gt; exception=&lt;class&gt; keelException=&lt;bool&gt; usableSpaceInMessage=&lt;bool&gt; message=&lt;...&gt;
 * DISK_FULL_CAUSES &lt;the cause chain&gt;
 * DB_FAILED_STATE present=&lt;bool&gt; ...
 * READS_AFTER_FAILURE OK tx=&lt;n&gt; entities=&lt;n&gt;
 * WRITE_WHILE_FULL ACCEPTED | REFUSED &lt;class&gt;: &lt;message&gt;
 * SPACE_FREED usable=&lt;bytes&gt;
 * WRITE_AFTER_FREE ACCEPTED_WITHOUT_RESTART | REFUSED_UNTIL_REOPEN &lt;class&gt;: &lt;message&gt;
 * READS_AFTER_FREE OK tx=&lt;n&gt; entities=&lt;n&gt;
 * CLOSE_AFTER_FAILURE OK | THREW &lt;class&gt;: &lt;message&gt;
 * REOPEN1 &lt;recovery summary&gt;
 * FAILED_TX &lt;n&gt; present|absent
 * REOPEN1 OK tx=&lt;n&gt; entities=&lt;n&gt; more=&lt;n&gt;
 * REOPEN2 OK tx=&lt;n&gt; entities=&lt;n&gt;
 * SUMMARY ...
 * FAIL &lt;problem&gt;                              any number of them, then
 * RESULT PASS | RESULT FAIL &lt;count&gt;
 * </pre>
 * Exit code 0 on PASS, 1 when a check failed, 2 on an unexpected exception, 3 on the watchdog.
 *
 * <p>Arguments: {@code <mount dir> <seed> <host work dir>}; the work dir (outside the tmpfs) gets
 * copies of the database for a failing run ({@code after-disk-full/}, {@code final/}).
 */
public final class DiskFullChild {
    static final String TYPE = "Chunk";
    /** Refuse to fill anything larger: the parent mounts 4 MiB; this guards the host's disks. */
    private static final long MAX_FILESYSTEM_SIZE = 64L * 1024 * 1024;
    private static final long MAX_PHASE1_TX = 5_000;
    private static final long WRITE_WHILE_FULL_TX = 100_001;
    private static final long WRITE_AFTER_FREE_TX = 200_001;
    private static final long AFTER_REOPEN_TX = 300_001;
    private static final int MORE_AFTER_REOPEN = 12;
    private static final long WATCHDOG_MILLIS = 60_000;

    private final Path mount;
    private final long seed;
    private final Path work;
    private final Path dbDir;
    private final Path ballast;
    private final List<String> problems = new ArrayList<>();
    private final Set<Long> acked = new TreeSet<>();

    private DiskFullChild(Path mount, long seed, Path work) {
        this.mount = mount;
        this.seed = seed;
        this.work = work;
        this.dbDir = mount.resolve("db");
        this.ballast = mount.resolve("ballast.bin");
    }

    public static void main(String[] args) {
        startWatchdog();
        int code;
        try {
            code = new DiskFullChild(Path.of(args[0]), Long.parseLong(args[1]), Path.of(args[2])).run();
        } catch (Throwable t) {
            out("FAIL unexpected exception: " + oneLine(stackTrace(t)));
            t.printStackTrace();
            out("RESULT FAIL unexpected exception");
            code = 2;
        }
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    // ---- the schema and the seeded contents ----

    static EntityType chunkType() {
        return EntityType.builder(TYPE)
                .field(Field.longField("tx").required())
                .field(Field.longField("k").required())
                .field(Field.longField("n").required())
                .field(Field.text("note"))
                .field(Field.bytes("blob"))
                .build();
    }

    static KeelOptions options() {
        // Default checkpoint triggers (256 MiB of log, 10 minutes): no background checkpoint runs, so
        // the full disk is met by the log (a commit's write or the next segment's preallocation).
        return KeelOptions.builder()
                .durability(Durability.SYNC)
                .segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .recoveryMode(RecoveryMode.NORMAL)
                .entityType(chunkType())
                .build();
    }

    /** Entities of transaction {@code tx}: mostly 2 to 6, one in ten 12 to 24 (often spanning a segment). */
    int entityCount(long tx) {
        SplittableRandom r = new SplittableRandom(CrashWorkload.mix(seed, tx));
        return r.nextInt(10) == 0 ? 12 + r.nextInt(13) : 2 + r.nextInt(5);
    }

    Map<String, Object> values(long tx, int k, int n) {
        long h = CrashWorkload.mix(CrashWorkload.mix(seed, tx), k);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tx", tx);
        m.put("k", (long) k);
        m.put("n", (long) n);
        m.put("note", "disk-full seed=" + seed + " tx=" + tx + " entity " + k + "/" + n);
        m.put("blob", CrashWorkload.bytes(h, 300 + (int) Long.remainderUnsigned(h >>> 9, 2700)));
        return m;
    }

    private void commit(KeelDb db, long tx) {
        int n = entityCount(tx);
        try (Transaction t = db.begin()) {
            for (int k = 0; k < n; k++) {
                t.insert(TYPE, values(tx, k, n));
            }
            t.commit();
        }
    }

    /** Commits {@code tx}; returns null when acknowledged, else the exception (a problem unless a KeelException). */
    private RuntimeException attempt(KeelDb db, long tx, String what) {
        try {
            commit(db, tx);
            acked.add(tx);
            return null;
        } catch (RuntimeException e) {
            if (!(e instanceof KeelException)) {
                problem(what + ": the refused write threw " + e.getClass().getName() + ", not a dev.keel.KeelException: "
                        + oneLine(stackTrace(e)));
            }
            return e;
        }
    }

    // ---- the run ----

    private int run() throws Exception {
        out("SEED " + seed);
        FileStore fs = Files.getFileStore(mount);
        out("MOUNT " + mount + " type=" + fs.type() + " total=" + fs.getTotalSpace() + " usable=" + fs.getUsableSpace());
        if (!"tmpfs".equals(fs.type()) || fs.getTotalSpace() > MAX_FILESYSTEM_SIZE) {
            problem("refusing to run: " + mount + " is not the small tmpfs the parent should have mounted (type "
                    + fs.type() + ", " + fs.getTotalSpace() + " bytes); filling it could fill a real disk");
            return finish();
        }
        SplittableRandom rnd = new SplittableRandom(seed);

        KeelDb db = KeelDb.open(dbDir, options());
        out("OPENED " + describe(db.recoveryReport()));

        // Ballast: leaves 192 to 448 KiB (seeded), three to seven 64 KiB log segments.
        long headroom = 192 * 1024 + 4096L * rnd.nextInt(64);
        long ballastBytes = Math.max(0, (fs.getUsableSpace() - headroom) / 4096 * 4096);
        writeBallast(ballastBytes);
        out("BALLAST bytes=" + ballastBytes + " headroom=" + headroom + " usable=" + fs.getUsableSpace());

        // Phase 1: commit until the disk is full.
        RuntimeException failure = null;
        long failedTx = -1;
        long t0 = System.nanoTime();
        for (long tx = 1; tx <= MAX_PHASE1_TX; tx++) {
            try {
                commit(db, tx);
                acked.add(tx);
            } catch (RuntimeException e) {
                failure = e;
                failedTx = tx;
                break;
            }
        }
        long phase1Millis = (System.nanoTime() - t0) / 1_000_000;
        if (failure == null) {
            problem("the disk never filled: " + MAX_PHASE1_TX + " commits were acknowledged on a " + fs.getTotalSpace()
                    + "-byte tmpfs (usable now " + fs.getUsableSpace() + ")");
            closeQuietly(db, "CLOSE_AFTER_NO_FAILURE");
            return finish();
        }
        String message = String.valueOf(failure.getMessage());
        boolean keel = failure instanceof KeelException;
        boolean namesUsableSpace = message.toLowerCase(Locale.ROOT).contains("usable space");
        out("DISK_FULL tx=" + failedTx + " acked=" + acked.size() + " millis=" + phase1Millis + " exception="
                + failure.getClass().getName() + " keelException=" + keel + " usableSpaceInMessage=" + namesUsableSpace
                + " message=" + oneLine(message));
        out("DISK_FULL_CAUSES " + causes(failure));
        if (!keel) {
            problem("the commit that met the full disk threw " + failure.getClass().getName()
                    + ", not a dev.keel.KeelException: " + oneLine(stackTrace(failure)));
        }
        if (!namesUsableSpace) {
            problem("USABLE_SPACE: the message of the commit that met the full disk does not name the usable space"
                    + " (no \"usable space\" in it): " + oneLine(message));
        }
        if (!causes(failure).contains("No space left on device") && !namesUsableSpace) {
            problem("the first failed commit does not look like a full disk (neither \"No space left on device\""
                    + " in its causes nor \"usable space\" in its message): " + causes(failure));
        }
        out("DB_FAILED_STATE present=" + db.failure().isPresent()
                + db.failure().map(f -> " first=" + oneLine(String.valueOf(f))).orElse(""));

        // Reads of acknowledged data keep working on the same open database; the failed commit is not visible.
        int before = problems.size();
        Set<Long> seen = verify(db.snapshot(), acked, Set.of(), "the same open database after the failed commit");
        if (problems.size() == before) {
            out("READS_AFTER_FAILURE OK tx=" + seen.size() + " entities=" + entities(seen));
        }

        // A write while the disk is still full: refused with a KeelException, or (if it fits) accepted.
        RuntimeException whileFull = attempt(db, WRITE_WHILE_FULL_TX, "a write while the disk is still full");
        out("WRITE_WHILE_FULL " + (whileFull == null ? "ACCEPTED"
                : "REFUSED " + whileFull.getClass().getName() + ": " + oneLine(whileFull.getMessage())));

        // Free the space.
        Files.delete(ballast);
        out("SPACE_FREED usable=" + fs.getUsableSpace());

        RuntimeException afterFree = attempt(db, WRITE_AFTER_FREE_TX, "the first write after the space was freed");
        boolean acceptedWithoutRestart = afterFree == null;
        if (acceptedWithoutRestart) {
            out("WRITE_AFTER_FREE ACCEPTED_WITHOUT_RESTART");
            for (long tx = WRITE_AFTER_FREE_TX + 1; tx < WRITE_AFTER_FREE_TX + 6; tx++) {
                RuntimeException e = attempt(db, tx, "a write after the first write after the freeing was accepted");
                if (e != null) {
                    problem("the database accepted tx " + WRITE_AFTER_FREE_TX + " after the space was freed but"
                            + " refused tx " + tx + ": " + oneLine(stackTrace(e)));
                    break;
                }
            }
        } else {
            out("WRITE_AFTER_FREE REFUSED_UNTIL_REOPEN " + afterFree.getClass().getName() + ": "
                    + oneLine(afterFree.getMessage()));
        }
        before = problems.size();
        seen = verify(db.snapshot(), acked, Set.of(), "the same open database after the space was freed");
        if (problems.size() == before) {
            out("READS_AFTER_FREE OK tx=" + seen.size() + " entities=" + entities(seen));
        }
        closeQuietly(db, "CLOSE_AFTER_FAILURE");
        copyTree(dbDir, work.resolve("after-disk-full"));

        // Reopen in NORMAL mode: every acknowledged commit, no partial transaction; then more commits.
        Set<Long> unacknowledged = new LinkedHashSet<>(List.of(failedTx, WRITE_WHILE_FULL_TX, WRITE_AFTER_FREE_TX));
        unacknowledged.removeAll(acked);
        Set<Long> mustStay;
        before = problems.size();
        int more = 0;
        try (KeelDb reopened = KeelDb.open(dbDir, options())) {
            out("REOPEN1 " + describe(reopened.recoveryReport()));
            Set<Long> present = verify(reopened.snapshot(), acked, unacknowledged, "the first reopen");
            out("FAILED_TX " + failedTx + (present.contains(failedTx) ? " present (complete; it was not acknowledged)"
                    : " absent"));
            mustStay = new TreeSet<>(present);
            for (long tx = AFTER_REOPEN_TX; tx < AFTER_REOPEN_TX + MORE_AFTER_REOPEN; tx++) {
                commit(reopened, tx);
                acked.add(tx);
                mustStay.add(tx);
                more++;
            }
            verify(reopened.snapshot(), mustStay, Set.of(), "the first reopen, after " + more + " more commits");
            reopened.checkpoint();
        } catch (RuntimeException e) {
            problem("the first reopen after the full disk (or its " + more + " commits, checkpoint or close) failed: "
                    + oneLine(stackTrace(e)));
            return finish();
        }
        if (problems.size() == before) {
            out("REOPEN1 OK tx=" + mustStay.size() + " entities=" + entities(mustStay) + " more=" + more);
        }

        // Reopen after the clean close: nothing to repair, the same data.
        before = problems.size();
        try (KeelDb again = KeelDb.open(dbDir, options())) {
            RecoveryReport r = again.recoveryReport();
            out("REOPEN2 " + describe(r));
            if (!r.clean()) {
                problem("reopening after a clean close found something to repair: " + r);
            }
            Set<Long> present = verify(again.snapshot(), mustStay, Set.of(), "the second reopen");
            if (problems.size() == before) {
                out("REOPEN2 OK tx=" + present.size() + " entities=" + entities(present));
            }
        } catch (RuntimeException e) {
            problem("the second reopen (after a clean close) failed: " + oneLine(stackTrace(e)));
        }
        out("SUMMARY seed=" + seed + " acknowledged before the full disk: " + (failedTx - 1) + " tx in " + phase1Millis
                + " ms; failing commit: tx " + failedTx + " " + failure.getClass().getSimpleName()
                + (namesUsableSpace ? " naming the usable space" : " NOT naming the usable space")
                + "; write while full: " + (whileFull == null ? "accepted" : "refused")
                + "; write after freeing: " + (acceptedWithoutRestart ? "accepted without restart" : "refused until reopen")
                + "; after reopen: " + mustStay.size() + " tx, all complete");
        return finish();
    }

    private void writeBallast(long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        Arrays.fill(chunk.array(), (byte) 0x5A);
        try (FileChannel c = FileChannel.open(ballast, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long at = 0; at < bytes; ) {
                chunk.clear();
                chunk.limit((int) Math.min(chunk.capacity(), bytes - at));
                at += c.write(chunk, at);
            }
            c.force(true);
        }
    }

    private void closeQuietly(KeelDb db, String label) {
        try {
            db.close();
            out(label + " OK");
        } catch (RuntimeException e) {
            out(label + " THREW " + e.getClass().getName() + ": " + oneLine(e.getMessage()));
        }
    }

    private int finish() {
        if (problems.isEmpty()) {
            out("RESULT PASS");
            return 0;
        }
        try {
            if (Files.isDirectory(dbDir)) {
                copyTree(dbDir, work.resolve("final"));
            }
        } catch (IOException | RuntimeException e) {
            out("(copying the database to " + work.resolve("final") + " failed: " + e + ")");
        }
        out("RESULT FAIL " + problems.size() + " problem(s); seed=" + seed);
        return 1;
    }

    // ---- checks ----

    /**
     * Checks a snapshot exactly: every transaction in {@code must} is there, complete and with its
     * content; one in {@code may} is complete or absent; nothing else is there; all entities of one
     * transaction carry one version (its commit LSN). Returns the transactions present.
     */
    private Set<Long> verify(Snapshot snap, Set<Long> must, Set<Long> may, String where) {
        Map<Long, List<Entity>> byTx = new TreeMap<>();
        long[] scanned = {0};
        try (Stream<Entity> s = snap.scan(TYPE)) {
            s.forEach(e -> {
                byTx.computeIfAbsent(e.getLong("tx"), k -> new ArrayList<>()).add(e);
                scanned[0]++;
            });
        }
        if (snap.count(TYPE) != scanned[0]) {
            problem(where + ": count(" + TYPE + ") = " + snap.count(TYPE) + " but scan returned " + scanned[0]);
        }
        List<String> bad = new ArrayList<>();
        for (Map.Entry<Long, List<Entity>> g : byTx.entrySet()) {
            long tx = g.getKey();
            List<Entity> list = g.getValue();
            if (!must.contains(tx) && !may.contains(tx)) {
                bad.add("tx " + tx + " is visible (" + list.size() + " entities) but was never acknowledged nor"
                        + " in doubt" + (tx == WRITE_WHILE_FULL_TX || tx == WRITE_AFTER_FREE_TX ? " (its commit threw)"
                        : ""));
                continue;
            }
            int n = entityCount(tx);
            BitSet ks = new BitSet();
            long version = list.get(0).version();
            for (Entity e : list) {
                long k = e.getLong("k");
                if (k < 0 || k >= n || ks.get((int) k)) {
                    bad.add("tx " + tx + ": unexpected or duplicate entity k=" + k + " (id " + e.id() + ")");
                    continue;
                }
                ks.set((int) k);
                if (!sameValues(values(tx, (int) k, n), e.values())) {
                    bad.add("tx " + tx + " entity k=" + k + " (id " + e.id() + ") has wrong content: " + show(e.values()));
                }
                if (e.version() != version) {
                    bad.add("tx " + tx + ": entities carry different versions " + version + " and " + e.version());
                }
            }
            if (ks.cardinality() != n) {
                bad.add("tx " + tx + " is PARTIAL: " + ks.cardinality() + " of its " + n + " entities are visible"
                        + (must.contains(tx) ? " (acknowledged)" : " (not acknowledged)"));
            }
        }
        List<Long> lost = new ArrayList<>();
        for (long tx : must) {
            if (!byTx.containsKey(tx)) {
                lost.add(tx);
            }
        }
        if (!lost.isEmpty()) {
            bad.add(lost.size() + " ACKNOWLEDGED transactions are missing: " + abbreviate(lost));
        }
        for (String b : bad.subList(0, Math.min(bad.size(), 20))) {
            problem(where + ": " + b);
        }
        if (bad.size() > 20) {
            problem(where + ": ... and " + (bad.size() - 20) + " more");
        }
        return byTx.keySet();
    }

    private int entities(Set<Long> txs) {
        return txs.stream().mapToInt(this::entityCount).sum();
    }

    private void problem(String text) {
        problems.add(text);
        out("FAIL " + text);
    }



    private static String abbreviate(List<Long> txs) {
        return txs.size() <= 30 ? txs.toString() : txs.subList(0, 30) + " ... (" + txs.size() + " in all)";
    }

    static String describe(RecoveryReport r) {
        Map<String, Integer> kinds = new TreeMap<>();
        r.events().forEach(e -> kinds.merge(e.kind().name(), 1, Integer::sum));
        return "recovered to LSN " + r.lastLsn() + " from checkpoint " + r.checkpointLsn() + " + "
                + r.transactionsReplayed() + " tx replayed, " + r.transactionsRolledBack() + " rolled back, in "
                + r.segmentsRead() + " segments" + (kinds.isEmpty() ? ", clean" : ", events " + kinds);
    }

    private static String causes(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = new java.util.HashSet<>();
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            sb.append(sb.length() == 0 ? "" : " <- caused by ").append(c.getClass().getName()).append(": ")
                    .append(oneLine(String.valueOf(c.getMessage())));
        }
        return sb.toString();
    }

    // ---- plumbing ----

    private static synchronized void out(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static String oneLine(String s) {
        return String.valueOf(s).replace("\r", "").replace("\n", " | ");
    }

    static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** Halts with exit code 3 and a thread dump if the run takes longer than {@link #WATCHDOG_MILLIS}. */
    private static void startWatchdog() {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(WATCHDOG_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            StringBuilder dump = new StringBuilder();
            Thread.getAllStackTraces().forEach((thread, frames) -> {
                dump.append('"').append(thread.getName()).append("\" ").append(thread.getState()).append('\n');
                for (StackTraceElement f : frames) {
                    dump.append("    at ").append(f).append('\n');
                }
            });
            out("FAIL watchdog: the child ran longer than " + WATCHDOG_MILLIS + " ms (a hang?); thread dump on stderr");
            out("RESULT FAIL watchdog");
            System.err.println(dump);
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }, "disk-full-watchdog");
        t.setDaemon(true);
        t.start();
    }


}
