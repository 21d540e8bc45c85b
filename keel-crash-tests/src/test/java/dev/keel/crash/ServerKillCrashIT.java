package dev.keel.crash;

import static dev.keel.crash.ChildJvmSupport.copyTree;
import static dev.keel.crash.ChildJvmSupport.deleteTree;
import static dev.keel.crash.ChildJvmSupport.privateClassPath;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.crash.ServerHttp.Answer;
import dev.keel.crash.ServerWorkload.Acked;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * G1 and G2 through the HTTP server, under a real kill: a child JVM ({@link ServerChild}) serves a
 * database with {@code KeelServer}; {@value #CLIENTS} client threads ({@link ServerWorkload}) send
 * POST, PUT, PATCH and DELETE of single entities and multi-entity POST /v1/transactions, each with an
 * Idempotency-Key, and record every 2xx answer. After a random delay the child gets SIGKILL; a new
 * child serves the same directory and this test checks, over HTTP, that
 * <ul>
 *   <li>every acknowledged write is there with its acknowledged values and version (its commit
 *       LSN), unless a later acknowledged write of the same client changed it; acknowledged deletes
 *       stay deleted; nothing appears that no client sent;</li>
 *   <li>the request each client had in flight at the kill is wholly applied or wholly absent: a
 *       transaction's Items are all there or none, and exactly when its Counter update is;</li>
 *   <li>retrying every acknowledged request with its Idempotency-Key answers the stored status and
 *       body with {@code Idempotent-Replayed: true}, and writes nothing (every entity listed before and
 *       after the retries is the same);</li>
 *   <li>retrying the in-flight request with its key is a replay exactly when it had taken effect
 *       (its idempotency record committed with its writes), a first execution otherwise.</li>
 * </ul>
 * Each iteration kills the same directory {@value #KILLS} times (later children recover a database
 * that was killed and recovered before) and checks once more after the last kill.
 * {@code -Dkeel.crash.server.iterations} (default: a tenth of {@code keel.crash.iterations}: 3 in the
 * default build, 30 with {@code -Pcrash-long}); {@code -Dkeel.test.seed} replays the workloads and
 * kill delays (the kill instants still depend on timing).
 */
class ServerKillCrashIT {
    private static final int CLIENTS = 4;
    private static final int KILLS = 2;
    private static final long READY_TIMEOUT_MILLIS = 60_000;
    /** Replay-checked again after each later kill: a sample of requests checked after an earlier one. */
    private static final int OLD_REPLAYS_PER_CLIENT = 25;

    private int acknowledged;
    private int replays;
    private int pendingApplied;
    private int pendingAbsent;
    private int transactions;

    @Test
    void everyAcknowledgedHttpWriteSurvivesAKillAndItsRetryIsAReplay() throws Exception {
        String seedProperty = System.getProperty("keel.test.seed");
        long seed = seedProperty != null && !seedProperty.isBlank() ? Long.parseLong(seedProperty.trim())
                : new SecureRandom().nextLong();
        int iterations = Integer.getInteger("keel.crash.server.iterations",
                Math.max(1, Integer.getInteger("keel.crash.iterations", 30) / 10));
        Path target = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("target");
        Path work = target.resolve("crash-work").resolve("server-" + seed);
        String replay = "seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + ")";
        System.out.println("ServerKillCrashIT " + replay + " iterations=" + iterations);
        long start = System.nanoTime();
        String classPath = privateClassPath(work.resolve("lib"));
        Random rnd = new Random(seed);
        int kills = 0;
        for (int i = 0; i < iterations; i++) {
            Path db = work.resolve("iter-" + i).resolve("db");
            Files.createDirectories(db);
            List<ServerWorkload> clients = new ArrayList<>();
            for (int t = 0; t < CLIENTS; t++) {
                clients.add(new ServerWorkload("s" + seed + "-i" + i, t, rnd.nextLong()));
            }
            for (int k = 0; k <= KILLS; k++) {
                String where = "iteration " + i + ", server " + (k + 1) + "/" + (KILLS + 1) + "; " + replay;
                ChildRun child = startChild(classPath, db, where);
                try {
                    ServerHttp http = new ServerHttp(port(child, where));
                    if (k > 0) {
                        verify(clients, http, rnd);
                    }
                    if (k < KILLS) {
                        long delay = 200 + rnd.nextInt(1300);
                        runAndKill(clients, http, child, delay, where);
                        kills++;
                        System.out.printf("  %s: killed after %d ms, %d writes acknowledged so far%n", where, delay,
                                clients.stream().mapToInt(c -> c.acked.size()).sum());
                    }
                } catch (AssertionError | RuntimeException e) {
                    kill(child);
                    keep(target, seed, i, k, db, child);
                    throw new AssertionError(e.getMessage() + "; " + where, e);
                } finally {
                    kill(child);
                }
            }
            acknowledged += clients.stream().mapToInt(c -> c.acked.size()).sum();
            transactions += clients.stream().mapToInt(c -> c.txs.size()).sum();
            deleteTree(work.resolve("iter-" + i));
        }
        deleteTree(work);
        System.out.println("ServerKillCrashIT " + replay + ": " + kills + " kills in " + (System.nanoTime() - start)
                / 1_000_000 + " ms; " + acknowledged + " acknowledged writes (" + transactions + " transactions) all"
                + " present; " + replays + " idempotent retries replayed, writing nothing; in flight at a kill: "
                + pendingApplied + " had taken effect (their retry replayed), " + pendingAbsent + " had not (their"
                + " retry executed)");
        if (acknowledged == 0) {
            throw new AssertionError("no write was acknowledged before a kill; " + replay);
        }
    }

    /** Runs every client until the child is killed {@code delayMillis} after they started. */
    private static void runAndKill(List<ServerWorkload> clients, ServerHttp http, ChildRun child, long delayMillis,
            String where) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (ServerWorkload c : clients) {
            Thread th = new Thread(() -> {
                try {
                    c.run(http, stop::get);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "client-" + c.owner);
            threads.add(th);
            th.start();
        }
        Thread.sleep(delayMillis);
        child.aliveAtKill = child.process.isAlive();
        kill(child);
        stop.set(true);
        for (Thread th : threads) {
            th.join(60_000);
            if (th.isAlive()) {
                throw new AssertionError(th.getName() + " did not stop after the kill; " + where);
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("a client failed: " + failure.get(), failure.get());
        }
        if (!child.aliveAtKill) {
            throw new AssertionError("the server exited by itself before the kill: " + child.lines() + "; stderr "
                    + child.stderr() + "; " + where);
        }
    }

    /** The checks after a restart (see the class comment). */
    private void verify(List<ServerWorkload> clients, ServerHttp http, Random rnd) throws Exception {
        Map<String, Map<Long, JsonNode>> before = http.dump();
        boolean[] applied = new boolean[clients.size()];
        for (int c = 0; c < clients.size(); c++) {
            applied[c] = clients.get(c).resolve(before);
        }
        for (ServerWorkload c : clients) {
            List<Acked> toReplay = new ArrayList<>(c.acked.subList(c.replayedUpTo, c.acked.size()));
            for (int j = 0; j < OLD_REPLAYS_PER_CLIENT && c.replayedUpTo > 0; j++) {
                toReplay.add(c.acked.get(rnd.nextInt(c.replayedUpTo)));
            }
            for (Acked a : toReplay) {
                Answer again = http.send(a.op().request());
                if (!again.replayed() || again.status() != a.status() || !sameBody(a.body(), again.body())) {
                    throw new AssertionError(c.owner + ": retrying the acknowledged " + a.op().request() + " with its"
                            + " Idempotency-Key answered " + again.status() + (again.replayed() ? " (replayed)"
                            : " (not marked Idempotent-Replayed)") + " " + again.body() + "; first answer " + a.status()
                            + " " + a.body());
                }
                replays++;
            }
            c.replayedUpTo = c.acked.size();
        }
        Map<String, Map<Long, JsonNode>> after = http.dump();
        if (!after.equals(before)) {
            throw new AssertionError("the idempotent retries wrote something: " + difference(before, after));
        }
        for (int c = 0; c < clients.size(); c++) {
            ServerWorkload w = clients.get(c);
            if (w.pending != null) {
                if (applied[c]) {
                    pendingApplied++;
                } else {
                    pendingAbsent++;
                }
                w.retryPending(http, applied[c]);
                w.replayedUpTo = w.acked.size();
            }
        }
    }

    private static boolean sameBody(String first, String again) {
        if (first.isEmpty() || again.isEmpty()) {
            return first.equals(again);
        }
        return ServerHttp.parse(first).equals(ServerHttp.parse(again));
    }

    private static String difference(Map<String, Map<Long, JsonNode>> before, Map<String, Map<Long, JsonNode>> after) {
        StringBuilder sb = new StringBuilder();
        before.forEach((type, entities) -> {
            Map<Long, JsonNode> now = after.get(type);
            entities.forEach((id, e) -> {
                if (!e.equals(now.get(id))) {
                    sb.append(type).append(' ').append(id).append(": ").append(e).append(" -> ").append(now.get(id))
                            .append("; ");
                }
            });
            now.keySet().stream().filter(id -> !entities.containsKey(id)).forEach(id -> sb.append(type).append(' ')
                    .append(id).append(" appeared: ").append(now.get(id)).append("; "));
        });
        return sb.toString();
    }

    private static ChildRun startChild(String classPath, Path db, String where) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ChildRun r = new ChildRun();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                classPath, ServerChild.class.getName(), db.toString()).start();
        r.process = p;
        Thread out = new Thread(() -> r.readStdout(p.getInputStream()), "server-child-stdout");
        Thread err = new Thread(() -> r.readStderr(p.getErrorStream()), "server-child-stderr");
        out.setDaemon(true);
        err.setDaemon(true);
        out.start();
        err.start();
        if (!r.ready.await(READY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
            kill(r);
            throw new AssertionError("the server never became READY: " + r.lines() + "; stderr " + r.stderr() + "; "
                    + where);
        }
        return r;
    }

    private static int port(ChildRun child, String where) {
        for (String line : child.lines()) {
            if (line.startsWith("READY ")) {
                return Integer.parseInt(line.substring(6).trim());
            }
        }
        throw new AssertionError("no READY line: " + child.lines() + "; " + where);
    }

    /** SIGKILL through the ProcessHandle (keeps our ends of the pipes open, see KillCrashIT), then wait. */
    private static void kill(ChildRun child) throws InterruptedException {
        child.process.toHandle().destroyForcibly();
        if (!child.process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the server did not die within 30 s of SIGKILL");
        }
    }

    /** Keeps the database and the server's output under target/failed-dbs/server-SEED/. */
    private static void keep(Path target, long seed, int iteration, int server, Path db, ChildRun child) {
        Path keep = target.resolve("failed-dbs").resolve("server-" + seed).resolve("iter-" + iteration + "-server-"
                + (server + 1));
        try {
            copyTree(db, keep.resolve("db"));
            Files.write(keep.resolve("server-stdout.txt"), child.lines(), StandardCharsets.UTF_8);
            Files.writeString(keep.resolve("server-stderr.txt"), child.stderr(), StandardCharsets.UTF_8);
            System.out.println("database kept in " + keep);
        } catch (Exception e) {
            System.out.println("could not keep the database: " + e);
        }
    }
}
