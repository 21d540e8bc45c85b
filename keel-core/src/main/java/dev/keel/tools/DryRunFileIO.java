package dev.keel.tools;

import dev.keel.RecoveryMode;
import dev.keel.fault.CrashHook;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.LockHandle;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.recovery.Recovery;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * A storage layer that reads through to another one and makes every change a no-op, so that NORMAL
 * recovery can be run as a simulation: it takes exactly the decisions a real NORMAL open would
 * (cut a torn tail, or refuse corruption), and nothing reaches the disk. Files opened for writing
 * are sinks that never touch the real file (not even to create it); deletes, renames, directory
 * creation and syncs do nothing; locks are refused, since a simulation must never take one.
 *
 * <p>{@link Verifier} uses it to tell a torn tail (a NOTE) from corruption (a PROBLEM) with the
 * engine's own rules instead of a copy of them, and {@link Backups} to know the state a restored
 * directory will open with (READ_ONLY recovery would also count the LSNs of torn records after
 * the last commit).
 */
final class DryRunFileIO implements FileIO {
    private final FileIO reads;

    DryRunFileIO(FileIO reads) {
        this.reads = reads;
    }

    /**
     * What {@code KeelDb.open} in NORMAL mode would recover from {@code directory}, computed without
     * writing anything: the store, the report of the repairs it would make, and its last commit.
     *
     * @throws dev.keel.CorruptionException NORMAL open would refuse the directory
     */
    static Recovery.Result simulateNormalOpen(FileIO io, Path directory) throws IOException {
        return Recovery.run(new DryRunFileIO(io), directory, RecoveryMode.NORMAL, CrashHook.NONE);
    }

    @Override
    public StorageFile openForWrite(Path path) {
        return new Sink(path);
    }

    @Override
    public StorageFile openForRead(Path path) throws IOException {
        return reads.openForRead(path);
    }

    @Override
    public boolean exists(Path path) {
        return reads.exists(path);
    }

    @Override
    public List<Path> list(Path directory) throws IOException {
        return reads.list(directory);
    }

    @Override
    public void delete(Path path) {
        // simulated
    }

    @Override
    public void move(Path source, Path target) {
        // simulated
    }

    @Override
    public void syncDirectory(Path directory) {
        // simulated
    }

    @Override
    public void createDirectories(Path directory) {
        // simulated
    }

    @Override
    public long usableSpace(Path path) throws IOException {
        return reads.usableSpace(path);
    }

    /**
     * Refuses: the caller of a simulation holds the real lock itself, and recovery never locks, so a
     * request here would be a simulation trying to act like an open; failing it keeps the dry run
     * from ever holding (or, on close, dropping) an OS lock on the real file.
     */
    @Override
    public LockHandle tryLock(Path lockFile, boolean shared) throws IOException {
        throw new IOException("a dry-run recovery takes no lock (asked for " + lockFile + "); the tool that runs it"
                + " holds the real lock");
    }

    /** A file opened for writing in a dry run: empty, and every write is dropped. */
    private record Sink(Path path) implements StorageFile {
        @Override
        public int read(ByteBuffer dst, long position) {
            return -1;
        }

        @Override
        public void write(ByteBuffer src, long position) {
            src.position(src.limit());
        }

        @Override
        public long size() {
            return 0;
        }

        @Override
        public void truncate(long sizeInBytes) {
            // simulated
        }

        @Override
        public void sync() {
            // simulated
        }

        @Override
        public void close() {
            // nothing open
        }
    }
}
