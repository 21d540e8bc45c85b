package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Help texts, usage errors (64) and missing or foreign directories (4). */
class HelpAndUsageTest {
    private static final List<String> COMMANDS = List.of("serve", "inspect", "verify", "recover", "checkpoint", "backup",
            "restore", "export", "import", "demo");

    @TempDir
    Path tmp;

    @Test
    void topLevelHelpListsCommandsExitCodesAndExamples() {
        Cli.Result r = Cli.run("--help");
        assertEquals(0, r.exitCode(), r.toString());
        assertContains(r.out(), "Usage: keel", "Examples:", "Exit codes:", "64", "70");
        for (String c : COMMANDS) {
            assertContains(r.out(), "  " + c + " ");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"serve", "inspect", "verify", "recover", "checkpoint", "backup", "restore", "export", "import",
        "demo"})
    void everyCommandHasHelpWithAnExampleAndExitCodes(String command) {
        Cli.Result r = Cli.run(command, "--help");
        assertEquals(0, r.exitCode(), r.toString());
        assertContains(r.out(), "Usage: keel " + command, "Examples:", "  keel ", "Exit codes:", "0    ", "64   ");
        assertEquals(r.out(), Cli.run("help", command).out(), "keel help " + command + " prints the same");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        Cli.Result r = Cli.run("--version");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().startsWith("keel "), r.out());
        assertFalse(r.out().contains("unknown"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"inspect", "verify", "checkpoint", "export"})
    void unknownFlagIsAUsageError(String command) {
        Cli.Result r = Cli.run(command, tmp.toString(), "--no-such-flag");
        assertEquals(64, r.exitCode(), r.toString());
        assertContains(r.err(), "keel " + command + ": Unknown option: '--no-such-flag'", "Usage: keel " + command,
                "keel " + command + " --help");
        assertEquals("", r.out());
    }

    @Test
    void otherUsageErrorsAre64() {
        assertEquals(64, Cli.run().exitCode(), "no command");
        assertEquals(64, Cli.run("frobnicate").exitCode(), "unknown command");
        assertEquals(64, Cli.run("checkpoint").exitCode(), "missing DIR");
        assertEquals(64, Cli.run("backup", "a").exitCode(), "missing DEST");
        assertEquals(64, Cli.run("recover", tmp.toString()).exitCode(), "missing --mode");
        Cli.Result mode = Cli.run("recover", tmp.toString(), "--mode", "normal");
        assertEquals(64, mode.exitCode());
        assertContains(mode.err(), "expected read-only or force");
        assertEquals(64, Cli.run("import", tmp.resolve("x").toString(), "--batch-size", "0").exitCode());
        assertEquals(64, Cli.run("import", tmp.resolve("x").toString(), "--batch-size", "many").exitCode());
        assertEquals(64, Cli.run("import", tmp.resolve("x").toString(), "--input", tmp.resolve("none.jsonl").toString())
                .exitCode(), "missing input file");
        assertFalse(Files.exists(tmp.resolve("x")), "a usage error creates nothing");
        Cli.Result output = Cli.run("export", tmp.toString(), "-o", tmp.resolve("no/such/dir/out.jsonl").toString());
        assertEquals(64, output.exitCode(), output.toString());
        assertContains(output.err(), "does not exist");
    }

    @Test
    void missingDirectoryIs4AndIsNotCreated() {
        Path missing = tmp.resolve("missing");
        String m = missing.toString();
        for (String[] args : List.of(new String[] {"inspect", m}, new String[] {"verify", m},
                new String[] {"recover", m, "--mode", "read-only"}, new String[] {"recover", m, "--mode", "force"},
                new String[] {"checkpoint", m}, new String[] {"export", m},
                new String[] {"backup", m, tmp.resolve("dest").toString()},
                new String[] {"restore", m, tmp.resolve("restored").toString()})) {
            Cli.Result r = Cli.run(args);
            assertEquals(4, r.exitCode(), r.toString());
            assertContains(r.err(), "keel " + args[0] + ": database directory " + m + " does not exist");
            assertFalse(Files.exists(missing), String.join(" ", args) + " created the directory");
        }
        assertFalse(Files.exists(tmp.resolve("dest")));
        assertFalse(Files.exists(tmp.resolve("restored")));
    }

    @Test
    void aDirectoryThatIsNotADatabaseIs4AndStaysUntouched() throws IOException {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        Path other = Files.createDirectory(tmp.resolve("other"));
        Files.writeString(other.resolve("notes.txt"), "not a database");
        for (String command : List.of("inspect", "verify", "checkpoint", "export")) {
            for (Path dir : List.of(empty, other)) {
                Cli.Result r = Cli.run(command, dir.toString());
                assertEquals(4, r.exitCode(), r.toString());
                assertContains(r.err(), "is not a KeelDB database");
            }
        }
        assertEquals(List.of(), TestDbs.list(empty), "nothing was created in the empty directory");
        assertEquals(1, TestDbs.list(other).size());
        Cli.Result imp = Cli.runWithInput("", "import", other.toString());
        assertEquals(4, imp.exitCode(), imp.toString());
        assertEquals(1, TestDbs.list(other).size());
    }
}
