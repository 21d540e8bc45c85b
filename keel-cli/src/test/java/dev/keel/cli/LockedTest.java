package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.KeelDb;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A database another instance or process holds: exit 3, naming the holder, nothing changed. */
class LockedTest {
    @TempDir
    Path tmp;

    @Test
    void commandsThatOpenTheDatabaseExit3NamingTheHolderInThisJvm() throws IOException {
        Path dir = TestDbs.small(tmp.resolve("db"), 3);
        Path export = tmp.resolve("export.jsonl");
        assertEquals(0, Cli.run("export", dir.toString(), "-o", export.toString()).exitCode());
        try (KeelDb db = KeelDb.open(dir, TestDbs.options())) {
            String pid = "pid=" + ProcessHandle.current().pid();
            for (String[] args : List.of(new String[] {"checkpoint", dir.toString()},
                    new String[] {"recover", dir.toString(), "--mode", "read-only"},
                    new String[] {"recover", dir.toString(), "--mode", "force"},
                    new String[] {"export", dir.toString()},
                    new String[] {"import", dir.toString(), "--input", export.toString()})) {
                Cli.Result r = Cli.run(args);
                assertEquals(3, r.exitCode(), r.toString());
                assertContains(r.err(), "keel " + args[0] + ": database is locked: in use by " + pid,
                        "another open KeelDb in this JVM");
                assertEquals("", r.out());
            }
            Cli.Result export2 = Cli.run("export", dir.toString());
            assertContains(export2.err(), "keel backup");
            assertEquals(3, db.snapshot().count("Item"), "nothing was imported");
        }
    }

    @Test
    void aDatabaseHeldByAnotherProcessExits3NamingThatProcess() throws Exception {
        Path dir = TestDbs.small(tmp.resolve("db"), 3);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), HoldOpen.class.getName(), dir.toString());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process child = pb.start();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertEquals("open", lines.readLine(), "the child opened the database");
            Cli.Result r = Cli.run("checkpoint", dir.toString());
            assertEquals(3, r.exitCode(), r.toString());
            assertContains(r.err(), "in use by pid=" + child.pid() + " ");
            Cli.Result export = Cli.run("export", dir.toString());
            assertEquals(3, export.exitCode(), export.toString());
            assertContains(export.err(), "pid=" + child.pid() + " ", "keel backup");
        } finally {
            child.getOutputStream().close();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child exits when its stdin closes");
        }
        assertEquals(0, child.exitValue());
        assertEquals(0, Cli.run("checkpoint", dir.toString()).exitCode(), "free again once the child is gone");
        assertTrue(Files.exists(dir.resolve("keel.lock")));
    }

    /** Child process: opens the database given as argument, prints "open", holds it until stdin closes. */
    public static final class HoldOpen {
        public static void main(String[] args) throws IOException {
            try (KeelDb db = KeelDb.open(Path.of(args[0]), TestDbs.options())) {
                System.out.println("open");
                System.out.flush();
                while (System.in.read() >= 0) {
                    db.snapshot();
                }
            }
        }
    }
}
