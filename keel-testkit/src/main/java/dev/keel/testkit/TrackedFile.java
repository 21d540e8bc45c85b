package dev.keel.testkit;

import dev.keel.internal.io.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What {@link FaultyFileIO} knows about one file (one inode): its current name and the undo log of
 * the writes and truncations made since its last successful sync.
 *
 * <p>Undo: each entry remembers the file length before the change and the bytes the change
 * overwrote or cut off (only those inside the old length). Undoing an entry writes those bytes
 * back and truncates to the old length; undoing the entries newest first restores the file as of
 * its last sync. Writes also keep their new bytes, so that one can be re-applied in part (a tear).
 *
 * <p>Not thread-safe: guarded by the owning FaultyFileIO's monitor.
 */
final class TrackedFile {
    private static final byte[] NONE = new byte[0];

    /** One unsynced change; {@code newBytes} is null for a truncation. */
    private record Undo(long position, byte[] oldBytes, long oldLength, byte[] newBytes) {
        long writtenLength() {
            return newBytes == null ? 0 : newBytes.length;
        }
    }

    private final List<Undo> unsynced = new ArrayList<>();
    private Path path;

    TrackedFile(Path path) {
        this.path = path;
    }

    /** Current absolute, normalized name; null once deleted or replaced. */
    Path path() {
        return path;
    }

    void renamedTo(Path newPath) {
        path = newPath;
    }

    /** Remembers what writing {@code src} at {@code position} through {@code via} will change. */
    void beforeWrite(StorageFile via, ByteBuffer src, long position) throws IOException {
        long oldLength = via.size();
        byte[] data = new byte[src.remaining()];
        src.duplicate().get(data);
        byte[] old = readRange(via, position, Math.min(position + data.length, oldLength));
        unsynced.add(new Undo(position, old, oldLength, data));
    }

    /** Remembers what truncating to {@code newSize} through {@code via} will cut off. */
    void beforeTruncate(StorageFile via, long newSize) throws IOException {
        long oldLength = via.size();
        unsynced.add(new Undo(newSize, readRange(via, newSize, oldLength), oldLength, null));
    }

    boolean hasUnsynced() {
        return !unsynced.isEmpty();
    }

    /** A sync succeeded (or the kernel marked the pages clean): nothing is pending any more. */
    void markSynced() {
        unsynced.clear();
    }

    /** Undoes every unsynced change, newest first, on {@code target} (the same file, reopened). */
    void revertAll(StorageFile target) throws IOException {
        for (int i = unsynced.size() - 1; i >= 0; i--) {
            undo(target, unsynced.get(i));
        }
        unsynced.clear();
    }

    /** Total length of the unsynced writes before the last unsynced write, or -1 if there is none. */
    long bytesBeforeLastWrite() {
        long before = -1;
        long sum = 0;
        for (Undo u : unsynced) {
            if (u.newBytes() != null) {
                before = sum;
                sum += u.writtenLength();
            }
        }
        return before;
    }

    /**
     * Keeps the first {@code keptBytes} bytes of the unsynced writes in write order: changes
     * before the cut survive, the write the cut falls in keeps its prefix and gets {@code fill}
     * after it, later changes are undone.
     */
    void revertKeeping(StorageFile target, long keptBytes, PowerLossOptions.TornFill fill,
            Random random) throws IOException {
        int torn = -1;
        long before = 0;
        for (int i = 0; i < unsynced.size() && torn < 0; i++) {
            long length = unsynced.get(i).writtenLength();
            if (before + length > keptBytes) {
                torn = i;
            } else {
                before += length;
            }
        }
        if (torn >= 0) {
            for (int i = unsynced.size() - 1; i >= torn; i--) {
                undo(target, unsynced.get(i));
            }
            tear(target, unsynced.get(torn), (int) (keptBytes - before), fill, random);
        }
        unsynced.clear();
    }

    private static void tear(StorageFile target, Undo write, int kept, PowerLossOptions.TornFill fill,
            Random random) throws IOException {
        byte[] data = write.newBytes();
        target.write(ByteBuffer.wrap(data, 0, kept), write.position());
        byte[] rest = new byte[data.length - kept];
        switch (fill) {
            case ZEROS -> target.write(ByteBuffer.wrap(rest), write.position() + kept);
            case GARBAGE -> {
                random.nextBytes(rest);
                target.write(ByteBuffer.wrap(rest), write.position() + kept);
            }
            case PREVIOUS_CONTENT -> { }
            default -> throw new IllegalArgumentException("unknown fill " + fill);
        }
    }

    private static void undo(StorageFile target, Undo u) throws IOException {
        if (u.oldBytes().length > 0) {
            target.write(ByteBuffer.wrap(u.oldBytes()), u.position());
        }
        if (target.size() > u.oldLength()) {
            target.truncate(u.oldLength());
        }
    }

    private static byte[] readRange(StorageFile via, long from, long to) throws IOException {
        if (to <= from) {
            return NONE;
        }
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(to - from));
        via.readFully(buffer, from);
        return buffer.array();
    }
}
