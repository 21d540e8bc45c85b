package dev.keel.internal.recovery;

import dev.keel.fault.CrashHook;
import dev.keel.fault.CrashPoint;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Keeps bytes that recovery cuts or skips, so nothing is ever silently dropped. Each piece goes to
 * its own file {@code quarantine/<source file>@<offset>-<time>.bin}, synced together with its
 * directory before the damaged source is changed.
 */
public final class Quarantine {
    public static final String DIRECTORY = "quarantine";

    private final FileIO io;
    private final Path directory;
    private final Path dbDirectory;
    private final CrashHook crash;

    public Quarantine(FileIO io, Path dbDirectory, CrashHook crash) {
        this.io = io;
        this.crash = crash;
        this.dbDirectory = dbDirectory;
        this.directory = dbDirectory.resolve(DIRECTORY);
    }

    /** Durably stores {@code length} bytes of {@code data} from {@code offset}; returns the file. */
    public Path keep(Path source, long sourceOffset, byte[] data, int offset, int length) throws IOException {
        boolean created = !io.exists(directory);
        io.createDirectories(directory);
        if (created) {
            io.syncDirectory(dbDirectory);
        }
        Path target = directory.resolve(source.getFileName() + "@" + sourceOffset + "-" + System.currentTimeMillis()
                + ".bin");
        try (StorageFile f = io.openForWrite(target)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(data, offset, length), 0);
            crash.reached(CrashPoint.RECOVERY_MID_QUARANTINE_WRITE);
            f.sync();
        }
        io.syncDirectory(directory);
        crash.reached(CrashPoint.RECOVERY_AFTER_QUARANTINE);
        return target;
    }

    /** Durably moves a whole damaged file into quarantine; returns its new path. */
    public Path moveIn(Path source) throws IOException {
        boolean created = !io.exists(directory);
        io.createDirectories(directory);
        if (created) {
            io.syncDirectory(dbDirectory);
        }
        Path target = directory.resolve(source.getFileName() + "-" + System.currentTimeMillis() + ".bin");
        io.move(source, target);
        io.syncDirectory(directory);
        io.syncDirectory(dbDirectory);
        crash.reached(CrashPoint.RECOVERY_AFTER_QUARANTINE);
        return target;
    }
}
