package dev.keel.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.DatabaseLockedException;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer process per directory: a second process gets DatabaseLockedException naming the
 * holder, also in READ_ONLY mode; once the holder is killed (its lock file stays behind) the
 * directory opens at once.
 */
class ProcessLockCrashIT {
    @TempDir
    Path dir;

    @Test
    void secondProcessIsRefusedNamingTheHolderAndAStaleLockNeverBlocks() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), dir.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.startsWith("READY "));
            assertTrue(line != null, "child did not open the database");
            long pid = Long.parseLong(line.substring("READY ".length()).trim());
            assertEquals(child.pid(), pid);

            DatabaseLockedException e = assertThrows(DatabaseLockedException.class, () -> KeelDb.open(dir));
            assertTrue(e.getMessage().contains("pid=" + pid), e.getMessage());
            assertTrue(e.holder().contains("pid=" + pid), e.holder());
            assertThrows(DatabaseLockedException.class, () -> KeelDb.open(dir,
                    KeelOptions.builder().recoveryMode(RecoveryMode.READ_ONLY).build()));
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
        }
        assertTrue(Files.exists(dir.resolve("keel.lock")), "the dead holder's lock file stays behind");
        try (KeelDb db = KeelDb.open(dir)) {
            assertTrue(db.recoveryReport().checkpointLsn() >= 0);
        }
    }
}
