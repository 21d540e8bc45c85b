package dev.keel.internal.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
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
        return new NioStorageFile(path, FileChannel.open(path, StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    @Override
    public StorageFile openForRead(Path path) throws IOException {
        return new NioStorageFile(path, FileChannel.open(path, StandardOpenOption.READ));
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

    private static final class NioStorageFile implements StorageFile {
        private final Path path;
        private final FileChannel channel;

        NioStorageFile(Path path, FileChannel channel) {
            this.path = path;
            this.channel = channel;
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return channel.read(dst, position);
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            long at = position;
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public void truncate(long sizeInBytes) throws IOException {
            channel.truncate(sizeInBytes);
        }

        @Override
        public void sync() throws IOException {
            channel.force(false);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
