package dev.keel.internal.io;

import java.io.Closeable;
import java.io.IOException;

/** A held process lock on a lock file. {@link #close()} releases it. */
public interface LockHandle extends Closeable {

    /** Replaces the lock file's content (the holder description); not synced, informational. */
    void describeHolder(String holder) throws IOException;

    @Override
    void close() throws IOException;
}
