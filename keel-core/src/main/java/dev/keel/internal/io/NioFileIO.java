package dev.keel.internal.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The production storage layer on {@link FileChannel}. {@code sync} is {@code force(false)}
 * (fdatasync on Linux); directory sync opens the directory read-only and forces it, which Linux
 * supports and which is required to make renames and creations durable.
 */
public final class NioFileIO implements FileIO {

    public static final NioFileIO INSTANCE = new NioFileIO();

    private NioFileIO() {
    }

    @Override
    public StorageFile openForWrite(Path path) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new NioStorageFile(path, FileChannel.open(path, options), options);
    }

    @Override
    public StorageFile openForRead(Path path) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.READ);
        return new NioStorageFile(path, FileChannel.open(path, options), options);
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(path);
    }

    @Override
    public List<Path> list(Path directory) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> entries = Files.list(directory)) {
            entries.filter(Files::isRegularFile).sorted().forEach(files::add);
        }
        return files;
    }

    @Override
    public void delete(Path path) throws IOException {
        Files.deleteIfExists(path);
    }

    @Override
    public void move(Path source, Path target) throws IOException {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void syncDirectory(Path directory) throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    @Override
    public void createDirectories(Path directory) throws IOException {
        Files.createDirectories(directory);
    }

    @Override
    public long usableSpace(Path path) throws IOException {
        return Files.getFileStore(path).getUsableSpace();
    }

    @Override
    public LockHandle tryLock(Path lockFile, boolean shared) throws IOException {
        FileChannel channel = shared
                ? FileChannel.open(lockFile, StandardOpenOption.READ)
                : FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock(0, Long.MAX_VALUE, shared);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            return null;
        }
        return new LockHandle() {
            @Override
            public void describeHolder(String holder) throws IOException {
                byte[] text = holder.getBytes(StandardCharsets.UTF_8);
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(text), 0);
            }

            @Override
            public void close() throws IOException {
                try {
                    lock.release();
                } finally {
                    channel.close();
                }
            }
        };
    }

    /**
     * A file on a {@link FileChannel} that survives thread interrupts. NIO closes a channel when a
     * thread using it is interrupted; that is no I/O error: the written data is still in the page
     * cache and a positional write or a sync through a new descriptor of the same file is the same
     * operation. So when the channel turns out closed although this file was not closed (by an
     * interrupt of this thread or of another thread using it) the channel is reopened and the operation redone, with the
     * interrupt flag cleared meanwhile and restored afterwards. A real I/O error is never retried.
     */
    private static final class NioStorageFile implements StorageFile {
        private static final int MAX_REOPENS = 16;

        private final Path path;
        private final Set<OpenOption> options;
        private volatile FileChannel channel;
        private volatile boolean closed;

        NioStorageFile(Path path, FileChannel channel, Set<OpenOption> options) {
            this.path = path;
            this.channel = channel;
            this.options = options;
        }

        @FunctionalInterface
        private interface Op<T> {
            T run(FileChannel channel) throws IOException;
        }

        private <T> T call(Op<T> op) throws IOException {
            boolean interrupted = false;
            try {
                for (int attempt = 0; ; attempt++) {
                    FileChannel c = channel;
                    try {
                        return op.run(c);
                    } catch (ClosedChannelException e) {
                        if (closed || attempt >= MAX_REOPENS) {
                            throw e;
                        }
                        interrupted |= Thread.interrupted();
                        reopen(c);
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private synchronized void reopen(FileChannel broken) throws IOException {
            if (channel == broken && !closed) {
                channel = FileChannel.open(path, options);
            }
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            int start = dst.position();
            return call(c -> {
                dst.position(start);
                return c.read(dst, position);
            });
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            int start = src.position();
            call(c -> {
                src.position(start);
                long at = position;
                while (src.hasRemaining()) {
                    at += c.write(src, at);
                }
                return null;
            });
        }

        @Override
        public long size() throws IOException {
            return call(FileChannel::size);
        }

        @Override
        public void truncate(long sizeInBytes) throws IOException {
            call(c -> c.truncate(sizeInBytes));
        }

        @Override
        public void sync() throws IOException {
            call(c -> {
                c.force(false);
                return null;
            });
        }

        @Override
        public synchronized void close() throws IOException {
            closed = true;
            channel.close();
        }
    }
}
