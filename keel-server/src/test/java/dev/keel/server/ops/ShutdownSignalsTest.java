package dev.keel.server.ops;

import static dev.keel.server.ops.OpsTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to a child JVM serving a database through {@link ShutdownSignals} (sent with the {@code kill} command). */
@DisabledOnOs(OS.WINDOWS)
class ShutdownSignalsTest {
    @TempDir
    Path tmp;

    private record Child(Process process, int port, Path log) {
    }

    private Child start(Path dir, long drainMillis, int items, String mode) throws IOException {
        Path log = tmp.resolve("child-" + mode + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-cp", System.getProperty("java.class.path"), SignalChild.class.getName(), dir.toString(),
                Long.toString(drainMillis), Integer.toString(items), mode));
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        int port = -1;
        String expectLast = mode.equals("stuck") ? "STUCK" : "WROTE " + items;
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("PORT ")) {
                port = Integer.parseInt(line.substring(5));
            }
            if (line.equals(expectLast)) {
                return new Child(p, port, log);
            }
        }
        p.destroyForcibly();
        throw new AssertionError("the child ended before it was ready:\n" + Files.readString(log));
    }

    private static void signal(Process p, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
    }

    private static int awaitExit(Child c) throws Exception {
        if (!c.process().waitFor(60, TimeUnit.SECONDS)) {
            c.process().destroyForcibly();
            throw new AssertionError("the child did not exit within 60 s:\n" + Files.readString(c.log()));
        }
        return c.process().exitValue();
    }

    @Test
    void sigtermShutsDownGracefullyAndTheDirectoryReopensCleanly() throws Exception {
        Path dir = tmp.resolve("db");
        OpsTestSupport.createDatabase(dir);
        Child child = start(dir, 10_000, 25, "normal");
        signal(child.process(), "TERM");
        assertEquals(128 + 15, awaitExit(child), Files.readString(child.log()));
        String log = Files.readString(child.log());
        assertTrue(log.contains("SIGTERM received: shutting down gracefully") && log.contains("KeelDB server stopped"),
                log);
        try (KeelDb db = KeelDb.open(dir, KeelOptions.defaults())) {
            assertEquals(25, db.snapshot().count("Item"), "every acknowledged write");
            assertEquals(0, db.bootMetrics().recordsReplayed(), "closed cleanly: nothing to replay");
        }
    }

    @Test
    void aSecondSigtermStopsAtOnceAndLosesNothingAcknowledged() throws Exception {
        Path dir = tmp.resolve("db");
        OpsTestSupport.createDatabase(dir);
        Child child = start(dir, 600_000, 25, "stuck");
        OpsTestSupport.Client client = new OpsTestSupport.Client(child.port());
        signal(child.process(), "TERM");
        await("draining", () -> client.get("/health/ready").statusCode() == 503);
        assertEquals(200, client.get("/health/live").statusCode());
        assertTrue(child.process().isAlive(), "the drain waits for the busy database");
        signal(child.process(), "TERM");
        assertEquals(128 + 15, awaitExit(child), "halted: " + Files.readString(child.log()));
        assertTrue(Files.readString(child.log()).contains("SIGTERM received again: stopping at once"));
        try (KeelDb db = KeelDb.open(dir, KeelOptions.defaults())) {
            assertEquals(25, db.snapshot().count("Item"), "every acknowledged write survived the halt");
            assertTrue(db.bootMetrics().recordsReplayed() > 0, "no clean close: the log was replayed");
        }
    }
}
