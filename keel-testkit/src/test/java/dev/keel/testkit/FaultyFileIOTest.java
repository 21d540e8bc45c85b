package dev.keel.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.internal.io.LockHandle;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.testkit.PowerLossOptions.TornFill;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultyFileIOTest {

    @TempDir
    Path dir;

    private final FaultyFileIO io = new FaultyFileIO();

    // ---- power loss: file content ----------------------------------------------------------

    @Test
    void unsyncedWriteIsLostAfterPowerLoss() throws IOException {
        Path file = durableEmptyFile("a");
        try (StorageFile f = io.openForWrite(file)) {
            write(f, "hello", 0);
        }
        io.powerLoss();
        assertEquals("", read(file));
    }

    @Test
    void syncedWriteSurvivesAndLaterUnsyncedChangesAreUndone() throws IOException {
        Path file = durableEmptyFile("a");
        StorageFile f = io.openForWrite(file);
        write(f, "hello world", 0);
        f.sync();
        write(f, "HELLO", 0);
        write(f, "!!!", 11);
        f.truncate(4);
        io.powerLoss();
        assertEquals("hello world", read(file));
        assertEquals(List.of(), io.unsyncedFiles(), "nothing is pending after a power loss");
    }

    @Test
    void syncThroughAnotherHandleMakesTheFileDurable() throws IOException {
        Path file = durableEmptyFile("a");
        StorageFile writer = io.openForWrite(file);
        write(writer, "data", 0);
        assertEquals(List.of(file), io.unsyncedFiles());
        try (StorageFile other = io.openForWrite(file)) {
            other.sync();
        }
        io.powerLoss();
        assertEquals("data", read(file));
    }

    @Test
    void tornLastWriteKeepsExactlyNBytesThenZeros() throws IOException {
        Path file = tornScenario();
        io.powerLoss(PowerLossOptions.defaults().tearLastWrite(file, 3));
        byte[] expected = bytes("AAAA" + "BBBB" + "CCC" + "\0".repeat(7));
        assertArrayEquals(expected, Files.readAllBytes(file));
    }

    @Test
    void tornLastWriteKeepsExactlyNBytesThenSeededGarbage() throws IOException {
        Path file = tornScenario();
        io.powerLoss(PowerLossOptions.defaults().tearLastWrite(file, 3)
                .withTornFill(TornFill.GARBAGE).withSeed(42));
        byte[] actual = Files.readAllBytes(file);
        byte[] garbage = new byte[7];
        new Random(42).nextBytes(garbage);
        assertEquals("AAAABBBBCCC", new String(actual, 0, 11, StandardCharsets.US_ASCII));
        assertArrayEquals(garbage, Arrays.copyOfRange(actual, 11, 18));
    }

    @Test
    void tornAppendWithPreviousContentEndsAfterThePrefix() throws IOException {
        Path file = tornScenario();
        io.powerLoss(PowerLossOptions.defaults().tearLastWrite(file, 3)
                .withTornFill(TornFill.PREVIOUS_CONTENT));
        assertEquals("AAAABBBBCCC", read(file));
    }

    @Test
    void keepUnsyncedBytesCutsTheWriteSequenceAtAByteCount() throws IOException {
        Path file = tornScenario();
        Path other = durableEmptyFile("other");
        try (StorageFile f = io.openForWrite(other)) {
            write(f, "lost", 0);
        }
        io.powerLoss(PowerLossOptions.defaults().keepUnsyncedBytes(file, 6));
        assertEquals("AAAABBBBCC" + "\0".repeat(8), read(file), "BBBB whole, 2 bytes of the Cs, zeros");
        assertEquals("", read(other), "other files lose all unsynced writes");
    }

    // ---- power loss: directory entries -----------------------------------------------------

    @Test
    void fileCreatedWithoutDirectorySyncVanishes() throws IOException {
        Path file = dir.resolve("new");
        try (StorageFile f = io.openForWrite(file)) {
            write(f, "data", 0);
            f.sync();
        }
        io.powerLoss();
        assertFalse(Files.exists(file));
    }

    @Test
    void fileCreatedWithDirectorySyncSurvives() throws IOException {
        Path file = dir.resolve("new");
        try (StorageFile f = io.openForWrite(file)) {
            write(f, "data", 0);
            f.sync();
        }
        io.syncDirectory(dir);
        io.powerLoss();
        assertEquals("data", read(file));
    }

    @Test
    void renameWithoutDirectorySyncIsUndone() throws IOException {
        Path target = dir.resolve("current");
        Path temp = dir.resolve("current.tmp");
        Files.writeString(target, "old");
        writeDurably(temp, "new");
        io.syncDirectory(dir);
        io.move(temp, target);
        io.powerLoss();
        assertEquals("old", read(target));
        assertEquals("new", read(temp));
    }

    @Test
    void renameWithDirectorySyncSurvives() throws IOException {
        Path target = dir.resolve("current");
        Path temp = dir.resolve("current.tmp");
        Files.writeString(target, "old");
        writeDurably(temp, "new");
        io.move(temp, target);
        io.syncDirectory(dir);
        io.powerLoss();
        assertEquals("new", read(target));
        assertFalse(Files.exists(temp));
    }

    @Test
    void deletionWithoutDirectorySyncIsUndoneWithSyncItIsNot() throws IOException {
        Path kept = dir.resolve("kept");
        Path gone = dir.resolve("gone");
        Files.writeString(kept, "one");
        Files.writeString(gone, "two");
        io.delete(kept);
        io.powerLoss();
        assertEquals("one", read(kept));

        io.reset();
        io.delete(gone);
        io.syncDirectory(dir);
        io.powerLoss();
        assertFalse(Files.exists(gone));
    }

    @Test
    void directoryChangesCanBeKept() throws IOException {
        Path file = dir.resolve("new");
        try (StorageFile f = io.openForWrite(file)) {
            write(f, "data", 0);
        }
        io.powerLoss(PowerLossOptions.defaults().withForgetUnsyncedDirectoryOps(false));
        assertTrue(Files.exists(file));
        assertEquals("", read(file));
    }

    // ---- power loss: state afterwards ------------------------------------------------------

    @Test
    void powerLossKillsOpenFilesAndLocksUntilReset() throws IOException {
        Path file = durableEmptyFile("a");
        StorageFile open = io.openForWrite(file);
        LockHandle lock = io.tryLock(dir.resolve("LOCK"), false);
        assertNotNull(lock);
        io.powerLoss();

        IOException dead = assertThrows(IOException.class, () -> write(open, "x", 0));
        assertTrue(dead.getMessage().contains("simulated power loss"), dead.getMessage());
        assertThrows(IOException.class, open::sync);
        open.close();
        lock.close();
        IOException refused = assertThrows(IOException.class, () -> io.openForRead(file));
        assertTrue(refused.getMessage().contains("simulated power loss"), refused.getMessage());
        assertThrows(IllegalStateException.class, io::powerLoss);

        try (LockHandle again = NioFileIO.INSTANCE.tryLock(dir.resolve("LOCK"), false)) {
            assertNotNull(again, "the power loss released the real lock");
        }
        io.reset();
        try (StorageFile reopened = io.openForRead(file)) {
            assertEquals(0, reopened.size());
        }
    }

    // ---- fault plans -----------------------------------------------------------------------

    @Test
    void nthSyncFailsOnce() throws IOException {
        StorageFile f = io.openForWrite(dir.resolve("a"));
        io.arm(FaultPlan.failNth(IoOp.SYNC, 2));
        f.sync();
        InjectedFaultException e = assertThrows(InjectedFaultException.class, f::sync);
        assertEquals(IoOp.SYNC, e.operation());
        assertEquals(2, e.ordinal());
        f.sync();
        assertEquals(1, io.faultsInjected());
    }

    @Test
    void nthSyncFailsForever() throws IOException {
        StorageFile f = io.openForWrite(dir.resolve("a"));
        io.arm(FaultPlan.failNth(IoOp.SYNC, 2).forever());
        f.sync();
        assertThrows(InjectedFaultException.class, f::sync);
        assertThrows(InjectedFaultException.class, f::sync);
        assertThrows(InjectedFaultException.class, f::sync);
        write(f, "writes still work", 0);
        assertEquals(3, io.faultsInjected());
        io.disarm();
        f.sync();
    }

    @Test
    void pathFilterLimitsWhichFilesFail() throws IOException {
        StorageFile log = io.openForWrite(dir.resolve("0001.wal"));
        StorageFile other = io.openForWrite(dir.resolve("data"));
        io.arm(FaultPlan.failNth(IoOp.WRITE, 1).forever()
                .onlyPaths(p -> p.getFileName().toString().endsWith(".wal")));
        write(other, "fine", 0);
        assertThrows(InjectedFaultException.class, () -> write(log, "fails", 0));
        assertEquals(1, io.planMatches());
    }

    @Test
    void failedOperationHasNoEffect() throws IOException {
        Path source = dir.resolve("s");
        Files.writeString(source, "x");
        io.arm(FaultPlan.failNth(IoOp.MOVE, 1));
        assertThrows(InjectedFaultException.class, () -> io.move(source, dir.resolve("t")));
        assertTrue(Files.exists(source));
        assertFalse(Files.exists(dir.resolve("t")));
    }

    @Test
    void ioCountLetsATestFailAtEveryOperation() throws IOException {
        scenario(io, Files.createDirectory(dir.resolve("count")));
        long total = io.ioCount();
        assertEquals(9, total, "open, write, sync, dir sync, open, write, sync, move, dir sync");
        assertEquals(2, io.ioCount(IoOp.WRITE));
        assertEquals(2, io.ioCount(IoOp.SYNC_DIRECTORY));

        for (long n = 1; n <= total; n++) {
            Path runDir = Files.createDirectory(dir.resolve("run" + n));
            FaultyFileIO faulty = new FaultyFileIO();
            faulty.arm(FaultPlan.failNthOperation(n));
            assertThrows(InjectedFaultException.class, () -> scenario(faulty, runDir), "op " + n);
            assertEquals(1, faulty.faultsInjected());
            assertEquals(n, faulty.ioCount(), "the scenario stops at the failing operation");
            faulty.powerLoss();
            String state = Files.exists(runDir.resolve("current"))
                    ? Files.readString(runDir.resolve("current")) : "none";
            assertTrue(state.equals("none") || state.equals("v1") || state.equals("v2"),
                    "op " + n + ": " + state);
        }
    }

    // ---- disk full and failing syncs -------------------------------------------------------

    @Test
    void diskFullAtByteCountWritesThePrefixThatFits() throws IOException {
        StorageFile f = io.openForWrite(dir.resolve("a"));
        io.diskFullAfterBytes(10);
        write(f, "123456", 0);
        assertEquals(4, io.usableSpace(dir));
        ByteBuffer src = ByteBuffer.wrap(bytes("abcdef"));
        IOException e = assertThrows(IOException.class, () -> f.write(src, 6));
        assertTrue(e.getMessage().startsWith("No space left on device"), e.getMessage());
        assertEquals(10, f.size());
        assertEquals(4, src.position(), "the buffer shows what was written");
        assertEquals(0, io.usableSpace(dir));
        assertThrows(IOException.class, () -> write(f, "x", 10));

        io.freeSpace();
        write(f, "ef", 10);
        assertEquals("123456abcdef", read(dir.resolve("a")));
    }

    @Test
    void failedSyncDropsDirtyDataWhenAsked() throws IOException {
        io.dropDirtyDataOnFailedSync(true);
        Path file = durableEmptyFile("a");
        StorageFile f = io.openForWrite(file);
        write(f, "AAAA", 0);
        f.sync();
        write(f, "BBBB", 4);
        io.arm(FaultPlan.failNth(IoOp.SYNC, 1));
        assertThrows(InjectedFaultException.class, f::sync);
        assertEquals("AAAA", read(file), "the kernel dropped the dirty pages");
        f.sync();
        io.powerLoss();
        assertEquals("AAAA", read(file), "the retried sync 'succeeded' without the data");
    }

    @Test
    void failedSyncKeepsDirtyDataByDefault() throws IOException {
        Path file = durableEmptyFile("a");
        StorageFile f = io.openForWrite(file);
        write(f, "AAAA", 0);
        io.arm(FaultPlan.failNth(IoOp.SYNC, 1));
        assertThrows(InjectedFaultException.class, f::sync);
        f.sync();
        io.powerLoss();
        assertEquals("AAAA", read(file));
    }

    // ---- concurrency -----------------------------------------------------------------------

    @Test
    void concurrentWritersKeepExactlyTheSyncedData() throws Exception {
        Path file = durableEmptyFile("a");
        StorageFile f = io.openForWrite(file);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int slot = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        write(f, "S", slot * 100L + i);
                        f.sync();
                        write(f, "U", slot * 100L + 50 + i);
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get();
            }
        } finally {
            pool.shutdown();
        }
        io.powerLoss();
        byte[] after = Files.readAllBytes(file);
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < 50; i++) {
                assertEquals('S', after[t * 100 + i]);
            }
        }
        long unsyncedSurvivors = new String(after, StandardCharsets.US_ASCII).chars()
                .filter(c -> c == 'U').count();
        assertTrue(unsyncedSurvivors < 4 * 50, "the last operation, a U write, was never synced");
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** "AAAA" synced, then unsynced "BBBB" and a 10-byte "CCCCCCCCCC" appended. */
    private Path tornScenario() throws IOException {
        Path file = durableEmptyFile("torn");
        StorageFile f = io.openForWrite(file);
        write(f, "AAAA", 0);
        f.sync();
        write(f, "BBBB", 4);
        write(f, "CCCCCCCCCC", 8);
        return file;
    }

    /** Atomic replace of "current": write v1, then v2, each through temp file, sync, rename. */
    private static void scenario(FaultyFileIO io, Path runDir) throws IOException {
        Path current = runDir.resolve("current");
        try (StorageFile f = io.openForWrite(current)) {
            write(f, "v1", 0);
            f.sync();
        }
        io.syncDirectory(runDir);
        Path temp = runDir.resolve("current.tmp");
        try (StorageFile f = io.openForWrite(temp)) {
            write(f, "v2", 0);
            f.sync();
        }
        io.move(temp, current);
        io.syncDirectory(runDir);
    }

    /** A file that exists durably (created outside the layer), empty. */
    private Path durableEmptyFile(String name) throws IOException {
        return Files.createFile(dir.resolve(name));
    }

    private void writeDurably(Path file, String text) throws IOException {
        try (StorageFile f = io.openForWrite(file)) {
            write(f, text, 0);
            f.sync();
        }
    }

    private static void write(StorageFile file, String text, long position) throws IOException {
        file.write(ByteBuffer.wrap(bytes(text)), position);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    }
}
