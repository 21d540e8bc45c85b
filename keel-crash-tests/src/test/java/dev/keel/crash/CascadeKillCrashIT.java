package dev.keel.crash;

import static dev.keel.crash.ChildJvmSupport.copyTree;
import static dev.keel.crash.ChildJvmSupport.deleteTree;
import static dev.keel.crash.ChildJvmSupport.privateClassPath;

import dev.keel.KeelDb;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * G1 for cascade deletes under a real kill: a child JVM ({@link CascadeCrashWorkload}) commits
 * durable transactions over types linked by CASCADE and SET_NULL references, many of them cascade
 * deletes of tens to hundreds of entities; this test kills it with SIGKILL at a random moment, reopens
 * the directory in NORMAL mode and checks
 * <ul>
 *   <li>(c) every acknowledged transaction is present: the Clock's {@code seq} is at least the last
 *       ACK, and at most the last TRY;</li>
 *   <li>the database is exactly what transaction {@code seq} meant to commit (the digest its TRY line
 *       printed), so no transaction, cascade included, is visible in part;</li>
 *   <li>(a) named on its own: the cascade delete of transaction {@code seq} is wholly applied (every
 *       entity its DEL lines list gone, every field its CLR lines list null) and that of
 *       {@code seq + 1}, if it was in commit, wholly absent (all there, fields unchanged);</li>
 *   <li>(b) no reference points at a missing entity.</li>
 * </ul>
 * Each iteration kills the same directory 2 or 3 times, so later children recover and continue a
 * database that was killed before. {@code -Dkeel.crash.cascade.iterations} (default: a sixth of
 * {@code keel.crash.iterations}, so 5 in the default build and 50 with {@code -Pcrash-long});
 * {@code -Dkeel.test.seed} replays the workloads and kill delays.
 */
class CascadeKillCrashIT {
    private static final long READY_TIMEOUT_MILLIS = 60_000;

    @Test
    void aCascadeDeleteIsWhollyVisibleOrNotAtAllAfterAKill() throws Exception {
        String seedProperty = System.getProperty("keel.test.seed");
        long seed = seedProperty != null && !seedProperty.isBlank() ? Long.parseLong(seedProperty.trim())
                : new SecureRandom().nextLong();
        int iterations = Integer.getInteger("keel.crash.cascade.iterations",
                Math.max(1, Integer.getInteger("keel.crash.iterations", 30) / 6));
        Path target = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("target");
        Path work = target.resolve("crash-work").resolve("cascade-" + seed);
        String replay = "seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + ")";
        System.out.println("CascadeKillCrashIT " + replay + " iterations=" + iterations);
        long start = System.nanoTime();
        String classPath = privateClassPath(work.resolve("lib"));
        Random rnd = new Random(seed);
        int kills = 0;
        int acked = 0;
        int cascadesInCommit = 0;
        int cascadesAcked = 0;
        int largest = 0;
        for (int i = 0; i < iterations; i++) {
            Path db = work.resolve("iter-" + i).resolve("db");
            Files.createDirectories(db);
            String previousDigest = CascadeCrashWorkload.digest(Map.of());
            long previousSeq = 0;
            for (int k = 0, n = 2 + rnd.nextInt(2); k < n; k++) {
                long childSeed = rnd.nextLong();
                long delay = 200 + rnd.nextInt(1300);
                // Half the kills aim at a commit: at the first cascade delete's TRY line after the delay,
                // 0 to 300 us later (its commit writes and syncs the log meanwhile).
                long aimMicros = rnd.nextBoolean() ? rnd.nextInt(300) : -1;
                String where = "iteration " + i + ", kill " + (k + 1) + "/" + n + " (child seed " + childSeed
                        + ", killed " + delay + " ms after READY" + (aimMicros < 0 ? "" : " and " + aimMicros
                        + " us after the TRY of the next cascade delete") + "); " + replay;
                ChildRun run = runChild(classPath, db, childSeed, delay, aimMicros, where);
                Path verify = work.resolve("iter-" + i).resolve("verify-" + k);
                copyTree(db, verify);
                Log log = Log.parse(run, where);
                try (KeelDb opened = KeelDb.open(verify, CascadeCrashWorkload.options())) {
                    Map<String, Map<String, Object>> state = CascadeCrashWorkload.contents(opened.snapshot());
                    long seq = state.entrySet().stream().filter(e -> e.getKey().startsWith("Clock#"))
                            .mapToLong(e -> (Long) e.getValue().get("seq")).findFirst().orElse(0);
                    String at = where + "; last ACK " + log.lastAck + ", last TRY " + log.lastTry + ", recovered seq "
                            + seq;
                    check(log.firstSeq - 1 == previousSeq, "the child recovered to seq " + (log.firstSeq - 1)
                            + ", not to what the parent recovered from the same bytes before (" + previousSeq + ")", at,
                            failed(target, seed, i, k, db, verify, run));
                    check(seq >= log.lastAck && seq >= previousSeq, "an acknowledged transaction is missing", at,
                            failed(target, seed, i, k, db, verify, run));
                    check(seq <= Math.max(log.lastTry, previousSeq), "a transaction never tried is present", at,
                            failed(target, seed, i, k, db, verify, run));
                    String expected = seq == previousSeq ? previousDigest : log.digests.get(seq);
                    String found = CascadeCrashWorkload.digest(state);
                    checkCascade(state, log, seq, true, at, failed(target, seed, i, k, db, verify, run));
                    checkCascade(state, log, seq + 1, false, at, failed(target, seed, i, k, db, verify, run));
                    List<String> dangling = CascadeCrashWorkload.dangling(state);
                    check(dangling.isEmpty(), "DANGLING REFERENCES " + dangling.subList(0, Math.min(20,
                            dangling.size())), at, failed(target, seed, i, k, db, verify, run));
                    check(found.equals(expected), "the database is not what transaction " + seq + " committed"
                            + " (digest " + found + ", expected " + expected + "): a transaction visible in part",
                            at, failed(target, seed, i, k, db, verify, run));
                    if (log.deletes.containsKey(log.lastTry) && log.lastTry > log.lastAck) {
                        cascadesInCommit++;
                    }
                    for (Map.Entry<Long, List<String>> e : log.deletes.entrySet()) {
                        if (e.getKey() <= seq) {
                            cascadesAcked++;
                            largest = Math.max(largest, e.getValue().size() + log.clears.getOrDefault(e.getKey(),
                                    List.of()).size());
                        }
                    }
                    System.out.printf("  %s: recovered seq %d (ACK %d, TRY %d), %d entities%n", "iteration " + i
                            + ", kill " + (k + 1), seq, log.lastAck, log.lastTry, state.size());
                    previousDigest = found;
                    previousSeq = seq;
                    acked += Math.toIntExact(Math.max(0, log.lastAck - log.firstSeq + 1));
                }
                deleteTree(verify);
                kills++;
            }
            deleteTree(work.resolve("iter-" + i));
        }
        deleteTree(work);
        System.out.println("CascadeKillCrashIT " + replay + ": " + kills + " kills in "
                + (System.nanoTime() - start) / 1_000_000 + " ms; " + acked + " acknowledged transactions all present; "
                + cascadesAcked + " cascade deletes recovered whole (largest " + largest + " entities deleted or"
                + " cleared); " + cascadesInCommit + " kills with a cascade delete in commit, none partial");
        if (acked == 0) {
            throw new AssertionError("no child acknowledged a commit before it was killed; " + replay);
        }
    }

    private static void check(boolean ok, String problem, String where, Runnable keep) {
        if (!ok) {
            keep.run();
            throw new AssertionError(problem + "; " + where);
        }
    }

    /** Keeps the crashed and the recovered directory and the child's output under target/failed-dbs/. */
    private static Runnable failed(Path target, long seed, int iteration, int kill, Path db, Path verify, ChildRun run) {
        return () -> {
            Path keep = target.resolve("failed-dbs").resolve("cascade-" + seed).resolve("iter-" + iteration + "-kill-"
                    + (kill + 1));
            try {
                copyTree(db, keep.resolve("crashed"));
                copyTree(verify, keep.resolve("recovered"));
                Files.write(keep.resolve("child-stdout.txt"), run.lines(), StandardCharsets.UTF_8);
                Files.writeString(keep.resolve("child-stderr.txt"), run.stderr(), StandardCharsets.UTF_8);
                System.out.println("database kept in " + keep);
            } catch (Exception e) {
                System.out.println("could not keep the database: " + e);
            }
        };
    }

    /** The cascade delete of transaction {@code seq} (if it was one) is wholly applied, or wholly not. */
    private static void checkCascade(Map<String, Map<String, Object>> state, Log log, long seq, boolean applied,
            String where, Runnable keep) {
        List<String> deletes = log.deletes.get(seq);
        if (deletes == null || (!applied && seq > log.lastTry)) {
            return;
        }
        List<String> wrong = new ArrayList<>();
        for (String key : deletes) {
            if (state.containsKey(key) == applied) {
                wrong.add(key + (applied ? " present" : " gone"));
            }
        }
        for (String clear : log.clears.getOrDefault(seq, List.of())) {
            int dot = clear.lastIndexOf('.');
            int eq = clear.indexOf('=', dot);
            Map<String, Object> now = state.get(clear.substring(0, dot));
            Object value = now == null ? null : now.get(clear.substring(dot + 1, eq));
            boolean isOld = value != null && value.toString().equals(clear.substring(eq + 1));
            if (now == null || isOld == applied) {
                wrong.add(clear + (now == null ? " (entity gone)" : applied ? " not cleared" : " cleared"));
            }
        }
        check(wrong.isEmpty(), "PARTIAL CASCADE: the cascade delete of transaction " + seq + " (" + deletes.size()
                + " entities deleted, " + log.clears.getOrDefault(seq, List.of()).size() + " fields cleared) must be "
                + (applied ? "wholly applied" : "wholly absent") + ", but " + wrong.size() + " are not: "
                + wrong.subList(0, Math.min(20, wrong.size())), where, keep);
    }

    private static ChildRun runChild(String classPath, Path db, long childSeed, long delayMillis, long aimMicros,
            String where) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ChildRun r = new ChildRun();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                classPath, CascadeCrashWorkload.class.getName(), db.toString(), Long.toString(childSeed)).start();
        r.process = p;
        Thread out = new Thread(() -> r.readStdout(p.getInputStream()), "cascade-child-stdout");
        Thread err = new Thread(() -> r.readStderr(p.getErrorStream()), "cascade-child-stderr");
        out.start();
        err.start();
        boolean ready = r.ready.await(READY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        if (ready) {
            Thread.sleep(delayMillis);
            if (aimMicros >= 0) {
                int seen = r.lines().size();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                boolean hit = false;
                while (!hit && System.nanoTime() < deadline && p.isAlive()) {
                    List<String> lines = r.lines();
                    for (int j = seen; j < lines.size() && !hit; j++) {
                        hit = lines.get(j).startsWith("TRY ") && lines.get(j).contains(" delete-");
                    }
                    seen = lines.size();
                    Thread.onSpinWait();
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(aimMicros));
            }
        }
        r.aliveAtKill = p.isAlive();
        p.toHandle().destroyForcibly(); // SIGKILL; keeps our ends of the pipes open (see KillCrashIT)
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the child did not die within 30 s of SIGKILL; " + where);
        }
        p.getOutputStream().close();
        out.join(10_000);
        err.join(10_000);
        if (!ready || !r.aliveAtKill) {
            throw new AssertionError("the child " + (ready ? "exited by itself" : "never became READY") + " (exit "
                    + p.exitValue() + "); output " + r.lines() + "; stderr " + r.stderr() + "; " + where);
        }
        return r;
    }

    /** What a child printed: the digest each tried transaction would commit, and each cascade's effects. */
    private static final class Log {
        long firstSeq;
        long lastAck;
        long lastTry;
        final Map<Long, String> digests = new HashMap<>();
        final Map<Long, List<String>> deletes = new HashMap<>();
        final Map<Long, List<String>> clears = new HashMap<>();

        static Log parse(ChildRun run, String where) {
            Log log = new Log();
            for (String line : run.lines()) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "OPENING" -> {
                    }
                    case "READY" -> {
                        log.firstSeq = Long.parseLong(f[1]) + 1;
                        log.lastAck = Long.parseLong(f[1]);
                        log.lastTry = log.lastAck;
                    }
                    case "DEL", "CLR" -> (f[0].equals("DEL") ? log.deletes : log.clears)
                            .computeIfAbsent(Long.parseLong(f[1]), s -> new ArrayList<>())
                            .addAll(List.of(f).subList(2, f.length));
                    case "TRY" -> {
                        log.lastTry = Long.parseLong(f[1]);
                        log.digests.put(log.lastTry, f[3]);
                    }
                    case "ACK" -> log.lastAck = Long.parseLong(f[1]);
                    default -> throw new AssertionError("the child printed " + line + "; stderr " + run.stderr()
                            + "; " + where);
                }
            }
            // A cascade whose TRY line never came was never committed: forget its partial DEL/CLR lines.
            log.deletes.keySet().removeIf(s -> s > log.lastTry);
            log.clears.keySet().removeIf(s -> s > log.lastTry);
            return log;
        }
    }
}
