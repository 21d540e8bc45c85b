package dev.keel.testutil;

import dev.keel.internal.io.StorageFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** A read-only {@link StorageFile} over bytes in memory; every write, truncate or sync throws. */
public final class BytesStorageFile implements StorageFile {
    private final Path path;
    private final byte[] data;

    public BytesStorageFile(Path path, byte[] data) {
        this.path = path;
        this.data = data;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public int read(ByteBuffer dst, long position) {
        if (position >= data.length) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), data.length - position);
        dst.put(data, (int) position, n);
        return n;
    }

    @Override
    public void write(ByteBuffer src, long position) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public void truncate(long sizeInBytes) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void sync() {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void close() {
    }
}
