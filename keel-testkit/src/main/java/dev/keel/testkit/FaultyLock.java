package dev.keel.testkit;

import dev.keel.internal.io.LockHandle;
import java.io.IOException;

/**
 * A process lock taken through {@link FaultyFileIO}. A power loss releases the real lock (the
 * process "died"), so the test can reopen the database in the same JVM. Thread-safe: all work
 * happens under the owning FaultyFileIO's monitor.
 */
final class FaultyLock implements LockHandle {
    private final FaultyFileIO io;
    private final LockHandle lock;
    private boolean released;
    private boolean killed;

    FaultyLock(FaultyFileIO io, LockHandle lock) {
        this.io = io;
        this.lock = lock;
    }

    /** Passed through and never reverted by a power loss: the holder text is informational. */
    @Override
    public void describeHolder(String holder) throws IOException {
        synchronized (io) {
            if (killed) {
                throw new IOException("simulated power loss: the lock was held when the power failed");
            }
            if (released) {
                throw new IOException("lock already released");
            }
            lock.describeHolder(holder);
        }
    }

    /** Releases the real lock; a lock already killed by a power loss closes silently. */
    @Override
    public void close() throws IOException {
        synchronized (io) {
            if (released || killed) {
                return;
            }
            released = true;
            io.released(this);
            lock.close();
        }
    }

    /** The power failed: release the real lock and fail every later operation. */
    void kill() {
        killed = true;
        try {
            lock.close();
        } catch (IOException e) {
            // The process "died"; nobody is left to hear about a failing release.
        }
    }
}
