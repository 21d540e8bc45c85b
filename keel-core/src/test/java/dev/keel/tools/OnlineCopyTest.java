package dev.keel.tools;

import static dev.keel.tools.ToolsTestSupport.crashImage;
import static dev.keel.tools.ToolsTestSupport.fill;
import static dev.keel.tools.ToolsTestSupport.flipByte;
import static dev.keel.tools.ToolsTestSupport.frames;
import static dev.keel.tools.ToolsTestSupport.options;
import static dev.keel.tools.ToolsTestSupport.segmentsWithFrames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.CorruptionException;
import dev.keel.KeelDb;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.LockHandle;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.store.Store;
import dev.keel.internal.wal.SegmentScanner.Frame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OnlineCopy} against the races of a live source, replayed deterministically: a file layer
 * serves the first read of a file as a copy would have seen it at a bad moment (cut short while
 * being written, with a hole from pages read at different times, or gone because a checkpoint
 * retired it), and the copy must still reach the source's last commit, never report corruption.
 */
class OnlineCopyTest {
    @TempDir
    Path tmp;
    private Path image;
    private long lastCommitLsn;
    private long entities;

    @BeforeEach
    void image() throws IOException {
        Path live = tmp.resolve("live");
        try (KeelDb db = KeelDb.open(live, options())) {
            fill(db, 200, 1000);
            lastCommitLsn = db.snapshot().lsn();
            entities = db.snapshot().count("Customer") + db.snapshot().count("Order");
            image = crashImage(live, tmp.resolve("image"), false);
        }
        assertTrue(segmentsWithFrames(image).size() >= 3, "the workload spans segments");
    }

    private Store copy(FileIO io) throws IOException {
        OnlineCopy copy = OnlineCopy.take(io, image);
        Store state = copy.recover(NioFileIO.INSTANCE, tmp.resolve("staging"));
        assertEquals(copy.lsn(), state.lsn());
        return state;
    }

    private void assertWholeState(Store state) {
        assertEquals(lastCommitLsn, state.lsn());
        long n = 0;
        for (var t : state.schema().types()) {
            n += state.count(t.typeId());
        }
        assertEquals(entities, n);
    }

    /** Zeros from {@code from} on: the file as read while its last bytes were not written yet. */
    private static UnaryOperator<byte[]> cutAt(int from) {
        return data -> {
            byte[] copy = data.clone();
            Arrays.fill(copy, from, copy.length, (byte) 0);
            return copy;
        };
    }

    @Test
    void aSealedSegmentReadWhileItWasStillWrittenIsReadAgain() throws IOException {
        Path first = segmentsWithFrames(image).get(0);
        List<Frame> frames = frames(first);
        Frame middle = frames.get(frames.size() / 2);
        ScriptedIO io = new ScriptedIO();
        io.firstRead(first, cutAt(middle.offset())); // ends short, between two records
        assertWholeState(copy(io));
        Path second = segmentsWithFrames(image).get(1);
        Frame torn = frames(second).get(frames(second).size() - 3);
        io = new ScriptedIO();
        io.firstRead(second, cutAt(torn.offset() + 7)); // ends inside a record
        assertWholeState(copy(io));
    }

    @Test
    void theLiveSegmentReadWithAHoleIsReadAgain() throws IOException {
        List<Path> segments = segmentsWithFrames(image);
        Path last = segments.get(segments.size() - 1);
        List<Frame> frames = frames(last);
        Frame a = frames.get(frames.size() - 6);
        Frame b = frames.get(frames.size() - 4);
        ScriptedIO io = new ScriptedIO();
        io.firstRead(last, data -> {
            byte[] copy = data.clone();
            Arrays.fill(copy, a.offset(), b.offset(), (byte) 0); // one page read before a write, the next after
            return copy;
        });
        assertWholeState(copy(io));
    }

    @Test
    void aSegmentRetiredDuringTheCopyRestartsIt() throws IOException {
        ScriptedIO io = new ScriptedIO();
        io.vanishOnce(segmentsWithFrames(image).get(1));
        assertWholeState(copy(io));
        assertEquals(1, io.vanished);
    }

    @Test
    void damageThatIsThereOnEveryReadIsCorruption() throws IOException {
        Path first = segmentsWithFrames(image).get(0);
        Frame f = frames(first).get(20);
        flipByte(first, f.offset() + 3);
        CorruptionException e = assertThrows(CorruptionException.class, () -> copy(NioFileIO.INSTANCE));
        assertEquals(first, e.file());
        assertTrue(e.getMessage().contains("sealed"), e.getMessage());

        List<Path> segments = segmentsWithFrames(image);
        Path last = segments.get(segments.size() - 1);
        flipByte(first, f.offset() + 3); // repaired
        Frame g = frames(last).get(5);
        flipByte(last, g.offset() + 3);
        e = assertThrows(CorruptionException.class, () -> copy(NioFileIO.INSTANCE));
        assertEquals(last, e.file());
        assertTrue(e.getMessage().contains("written after it was synced"), e.getMessage());
    }

    @Test
    void recordsMissingRightAfterTheCheckpointOnEveryAttemptAreCorruption() throws IOException {
        Path first = segmentsWithFrames(image).get(0);
        Files.delete(first);
        CorruptionException e = assertThrows(CorruptionException.class, () -> copy(NioFileIO.INSTANCE));
        assertTrue(e.getMessage().contains("are missing") && e.getMessage().contains("every one of"), e.getMessage());
    }

    /** Reads through to the disk, except for scripted first reads and vanishing files. */
    private static final class ScriptedIO implements FileIO {
        private final Map<Path, UnaryOperator<byte[]>> firstReads = new HashMap<>();
        private final Map<Path, Boolean> vanishing = new HashMap<>();
        int vanished;

        void firstRead(Path file, UnaryOperator<byte[]> as) {
            firstReads.put(file, as);
        }

        void vanishOnce(Path file) {
            vanishing.put(file, true);
        }

        @Override
        public StorageFile openForRead(Path path) throws IOException {
            if (vanishing.remove(path) != null) {
                vanished++;
                throw new NoSuchFileException(path.toString());
            }
            UnaryOperator<byte[]> as = firstReads.remove(path);
            if (as == null) {
                return NioFileIO.INSTANCE.openForRead(path);
            }
            byte[] data = as.apply(Files.readAllBytes(path));
            return new dev.keel.testutil.BytesStorageFile(path, data);
        }

        @Override
        public StorageFile openForWrite(Path path) {
            throw new UnsupportedOperationException("the copy never writes to the source: " + path);
        }

        @Override
        public boolean exists(Path path) {
            return NioFileIO.INSTANCE.exists(path);
        }

        @Override
        public List<Path> list(Path directory) throws IOException {
            return NioFileIO.INSTANCE.list(directory);
        }

        @Override
        public void delete(Path path) {
            throw new UnsupportedOperationException("the copy never writes to the source: " + path);
        }

        @Override
        public void move(Path source, Path target) {
            throw new UnsupportedOperationException("the copy never writes to the source: " + source);
        }

        @Override
        public void syncDirectory(Path directory) {
            throw new UnsupportedOperationException("the copy never writes to the source: " + directory);
        }

        @Override
        public void createDirectories(Path directory) {
            throw new UnsupportedOperationException("the copy never writes to the source: " + directory);
        }

        @Override
        public long usableSpace(Path path) throws IOException {
            return NioFileIO.INSTANCE.usableSpace(path);
        }

        @Override
        public LockHandle tryLock(Path lockFile, boolean shared) {
            throw new UnsupportedOperationException("the copy takes no lock: " + lockFile);
        }
    }
}
