package dev.keel.internal.io;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * One open file behind the storage seam. Positional reads and writes are thread-safe; writes
 * become durable only through {@link #sync()} (see {@link FileIO} for the full contract).
 */
public interface StorageFile extends Closeable {

    Path path();

    /** Reads up to {@code dst.remaining()} bytes at {@code position}; returns -1 at end of file. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Writes all of {@code src} at {@code position}, growing the file if needed. */
    void write(ByteBuffer src, long position) throws IOException;

    long size() throws IOException;

    /** Cuts the file to {@code sizeInBytes}; durable after {@link #sync()}. */
    void truncate(long sizeInBytes) throws IOException;

    /**
     * Forces written data (and the file size, when it changed) to stable storage: fdatasync.
     * A failure means the durable content is unknown; the caller must treat it as fatal.
     */
    void sync() throws IOException;

    /** Reads exactly {@code dst.remaining()} bytes at {@code position} or throws EOFException. */
    default void readFully(ByteBuffer dst, long position) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = read(dst, at);
            if (n < 0) {
                throw new EOFException("unexpected end of " + path() + " at offset " + at
                        + " (wanted " + dst.remaining() + " more bytes)");
            }
            at += n;
        }
    }
}
