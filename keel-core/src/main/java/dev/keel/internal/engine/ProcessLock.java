package dev.keel.internal.engine;

import dev.keel.DatabaseLockedException;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.LockHandle;
import dev.keel.internal.io.StorageFile;
import java.io.Closeable;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one-writer-per-directory lock: an OS file lock on {@code keel.lock}, whose content names the
 * holder (pid, host, start time) for the error a second opener gets.
 *
 * <p>The OS lock is an fcntl lock, owned by the whole JVM and released when the process dies, so a
 * stale lock file from a killed process never blocks a restart. Because fcntl locks do not exclude
 * a second open in the same JVM (and closing any descriptor of the file would drop them), opens in
 * this JVM are also registered in a static map and refused before the file is touched.
 */
public final class ProcessLock implements Closeable {
    public static final String FILE_NAME = "keel.lock";
    private static final Map<Path, String> OPEN_IN_THIS_JVM = new ConcurrentHashMap<>();

    private final Path key;
    private final LockHandle handle;

    private ProcessLock(Path key, LockHandle handle) {
        this.key = key;
        this.handle = handle;
    }

    /** Takes the lock: exclusive for writers, shared for read-only opens. */
    public static ProcessLock acquire(FileIO io, Path directory, boolean readOnly) throws IOException {
        Path key = directory.toAbsolutePath().normalize();
        String me = describeThisProcess(readOnly);
        String other = OPEN_IN_THIS_JVM.putIfAbsent(key, me);
        if (other != null) {
            throw new DatabaseLockedException(directory, other + " (another open KeelDb in this JVM)");
        }
        try {
            Path file = directory.resolve(FILE_NAME);
            if (readOnly && !io.exists(file)) {
                return new ProcessLock(key, null);
            }
            LockHandle h = io.tryLock(file, readOnly);
            if (h == null) {
                throw new DatabaseLockedException(directory, readHolder(io, file));
            }
            if (!readOnly) {
                try {
                    h.describeHolder(me + "\n");
                } catch (IOException e) {
                    h.close();
                    throw e;
                }
            }
            return new ProcessLock(key, h);
        } catch (IOException | RuntimeException e) {
            OPEN_IN_THIS_JVM.remove(key);
            throw e;
        }
    }

    /**
     * Who holds the directory for writing, without taking or keeping any lock: the holder's
     * description when another process or another open instance in this JVM holds it, else empty.
     * Only a snapshot: the answer may change right after.
     */
    public static java.util.Optional<String> probe(FileIO io, Path directory) throws IOException {
        Path key = directory.toAbsolutePath().normalize();
        // Registered while probing, so no instance in this JVM opens meanwhile: closing our probe
        // descriptor would drop its fcntl lock.
        String here = OPEN_IN_THIS_JVM.putIfAbsent(key, "a lock probe in this JVM");
        if (here != null) {
            return java.util.Optional.of(here + " (another open KeelDb in this JVM)");
        }
        try {
            Path file = directory.resolve(FILE_NAME);
            if (!io.exists(file)) {
                return java.util.Optional.empty();
            }
            LockHandle h = io.tryLock(file, true);
            if (h == null) {
                return java.util.Optional.of(readHolder(io, file));
            }
            h.close();
            return java.util.Optional.empty();
        } finally {
            OPEN_IN_THIS_JVM.remove(key);
        }
    }

    private static String readHolder(FileIO io, Path file) {
        try (StorageFile f = io.openForRead(file)) {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(512, f.size()));
            f.read(b, 0);
            String text = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
            return text.isEmpty() ? "another process (holder unknown)" : text;
        } catch (IOException e) {
            return "another process (lock file unreadable: " + e.getMessage() + ")";
        }
    }

    private static String describeThisProcess(boolean readOnly) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown-host";
        }
        return "pid=" + ProcessHandle.current().pid() + " host=" + host + " since=" + Instant.now()
                + " mode=" + (readOnly ? "read-only" : "read-write") + " jvm="
                + ManagementFactory.getRuntimeMXBean().getName();
    }

    /** True if an OS file lock is held (false for a read-only open of a directory without a lock file). */
    boolean osLocked() {
        return handle != null;
    }

    /** Releases the lock. */
    @Override
    public void close() throws IOException {
        try {
            if (handle != null) {
                handle.close();
            }
        } finally {
            OPEN_IN_THIS_JVM.remove(key);
        }
    }
}
