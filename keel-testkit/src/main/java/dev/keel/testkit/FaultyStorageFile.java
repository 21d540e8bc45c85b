package dev.keel.testkit;

import dev.keel.internal.io.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A file opened through {@link FaultyFileIO}: every operation is counted and may fail by plan,
 * writes and truncations are recorded in the file's undo log first, writes consume the disk-space
 * budget, and after a power loss every operation fails. Thread-safe: all work happens under the
 * owning FaultyFileIO's monitor.
 */
final class FaultyStorageFile implements StorageFile {
    private final FaultyFileIO io;
    private final StorageFile delegate;
    private final TrackedFile file;
    private final Path key;
    private boolean closed;
    private boolean killed;

    FaultyStorageFile(FaultyFileIO io, StorageFile delegate, TrackedFile file, Path key) {
        this.io = io;
        this.delegate = delegate;
        this.file = file;
        this.key = key;
    }

    @Override
    public Path path() {
        return delegate.path();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        synchronized (io) {
            checkAlive();
            io.faults().beforeOperation(IoOp.READ, key);
            return delegate.read(dst, position);
        }
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        synchronized (io) {
            checkAlive();
            io.faults().beforeOperation(IoOp.WRITE, key);
            int requested = src.remaining();
            int granted = io.faults().reserve(requested);
            ByteBuffer allowed = src.duplicate();
            allowed.limit(allowed.position() + granted);
            if (granted > 0) {
                file.beforeWrite(delegate, allowed, position);
                delegate.write(allowed, position);
                io.recordWrite(key, position, granted);
            }
            src.position(src.position() + granted);
            if (granted < requested) {
                throw FaultInjector.diskFull(path(), position, granted, requested);
            }
        }
    }

    @Override
    public long size() throws IOException {
        synchronized (io) {
            checkAlive();
            return delegate.size();
        }
    }

    @Override
    public void truncate(long sizeInBytes) throws IOException {
        synchronized (io) {
            checkAlive();
            io.faults().beforeOperation(IoOp.TRUNCATE, key);
            file.beforeTruncate(delegate, sizeInBytes);
            delegate.truncate(sizeInBytes);
        }
    }

    @Override
    public void sync() throws IOException {
        synchronized (io) {
            checkAlive();
            try {
                io.faults().beforeOperation(IoOp.SYNC, key);
                delegate.sync();
            } catch (IOException e) {
                io.syncFailed(file, e);
                throw e;
            }
            file.markSynced();
        }
    }

    /** Closes the real file; a file already killed by a power loss closes silently. */
    @Override
    public void close() throws IOException {
        synchronized (io) {
            if (closed || killed) {
                return;
            }
            closed = true;
            io.closed(this);
            delegate.close();
        }
    }

    /** The power failed: close the real file and fail every later operation. */
    void kill() {
        killed = true;
        try {
            delegate.close();
        } catch (IOException e) {
            // The process "died"; nobody is left to hear about a failing close.
        }
    }

    private void checkAlive() throws IOException {
        if (killed) {
            throw new IOException("simulated power loss: " + path() + " was open when the power failed");
        }
        if (closed) {
            throw new IOException("file closed: " + path());
        }
    }
}
