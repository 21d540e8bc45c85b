package dev.keel.boot;

import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.LockHandle;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.io.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The real file layer, except that once {@link #stall()} was called every file sync waits for {@link #release()}. */
final class StallingSyncFileIO implements FileIO {
    private final FileIO real = NioFileIO.INSTANCE;
    private volatile CountDownLatch gate;
    final CountDownLatch stalled = new CountDownLatch(1);

    void stall() {
        gate = new CountDownLatch(1);
    }

    void release() {
        CountDownLatch g = gate;
        if (g != null) {
            g.countDown();
        }
    }

    @Override
    public StorageFile openForWrite(Path path) throws IOException {
        StorageFile f = real.openForWrite(path);
        return new StorageFile() {
            @Override
            public Path path() {
                return f.path();
            }

            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                return f.read(dst, position);
            }

            @Override
            public void write(ByteBuffer src, long position) throws IOException {
                f.write(src, position);
            }

            @Override
            public long size() throws IOException {
                return f.size();
            }

            @Override
            public void truncate(long sizeInBytes) throws IOException {
                f.truncate(sizeInBytes);
            }

            @Override
            public void sync() throws IOException {
                CountDownLatch g = gate;
                if (g != null) {
                    stalled.countDown();
                    try {
                        g.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                f.sync();
            }

            @Override
            public void close() throws IOException {
                f.close();
            }
        };
    }

    @Override
    public StorageFile openForRead(Path path) throws IOException {
        return real.openForRead(path);
    }

    @Override
    public boolean exists(Path path) {
        return real.exists(path);
    }

    @Override
    public List<Path> list(Path directory) throws IOException {
        return real.list(directory);
    }

    @Override
    public void delete(Path path) throws IOException {
        real.delete(path);
    }

    @Override
    public void move(Path source, Path target) throws IOException {
        real.move(source, target);
    }

    @Override
    public void syncDirectory(Path directory) throws IOException {
        real.syncDirectory(directory);
    }

    @Override
    public void createDirectories(Path directory) throws IOException {
        real.createDirectories(directory);
    }

    @Override
    public long usableSpace(Path path) throws IOException {
        return real.usableSpace(path);
    }

    @Override
    public LockHandle tryLock(Path lockFile, boolean shared) throws IOException {
        return real.tryLock(lockFile, shared);
    }
}
