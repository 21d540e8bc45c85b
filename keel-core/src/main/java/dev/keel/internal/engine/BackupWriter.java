package dev.keel.internal.engine;

import dev.keel.BackupResult;
import dev.keel.CorruptionException;
import dev.keel.fault.CrashHook;
import dev.keel.internal.checkpoint.CheckpointReader;
import dev.keel.internal.checkpoint.CheckpointWriter;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.store.Store;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Writes a backup: one checkpoint of an immutable store version into a new directory, which is a
 * complete database directory (open it, or copy it to restore).
 *
 * <p>Durability: the checkpoint is installed like any other (temp file, sync, rename, directory
 * sync), then the destination's parent directory is synced so the new directory itself survives a
 * crash. Verification reads the whole file back (every checksum) and compares LSN and entity
 * count with the store it came from. On any failure the partial destination is removed, so a
 * destination directory that exists after this returned normally is a verified backup.
 */
public final class BackupWriter {
    private BackupWriter() {
    }

    /** Writes and verifies a backup of {@code store} into {@code destination} (absent or empty). */
    public static BackupResult write(FileIO io, Store store, Path destination) throws IOException {
        long started = System.nanoTime();
        boolean created = !io.exists(destination);
        if (!created && !io.list(destination).isEmpty()) {
            throw new IllegalArgumentException("backup destination " + destination + " is not empty; choose a new"
                    + " directory (a backup never overwrites files)");
        }
        io.createDirectories(destination);
        Path parent = destination.toAbsolutePath().getParent();
        try {
            Path file = new CheckpointWriter(io, destination, CrashHook.NONE).write(store);
            if (parent != null) {
                io.syncDirectory(parent);
            }
            CheckpointReader.Loaded back = CheckpointReader.read(io, file);
            long expected = countEntities(store);
            if (back.lsn() != store.lsn() || back.entities() != expected) {
                throw new CorruptionException(file, 0, "backup read back with LSN " + back.lsn() + " and "
                        + back.entities() + " entities, expected LSN " + store.lsn() + " and " + expected
                        + "; the backup is not usable, check the destination's storage");
            }
            long size;
            try (var f = io.openForRead(file)) {
                size = f.size();
            }
            return new BackupResult(destination, back.lsn(), back.entities(), size,
                    Duration.ofNanos(System.nanoTime() - started));
        } catch (IOException | RuntimeException e) {
            removePartial(io, destination, created, e);
            throw e;
        }
    }

    private static long countEntities(Store store) {
        long n = 0;
        for (var t : store.schema().types()) {
            n += store.count(t.typeId());
        }
        return n;
    }

    private static void removePartial(FileIO io, Path destination, boolean created, Throwable primary) {
        try {
            for (Path p : io.list(destination)) {
                io.delete(p);
            }
            if (created) {
                io.delete(destination);
            }
        } catch (IOException | RuntimeException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }
}
