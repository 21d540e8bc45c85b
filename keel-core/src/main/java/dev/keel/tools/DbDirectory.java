package dev.keel.tools;

import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.internal.engine.ProcessLock;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.recovery.Quarantine;
import dev.keel.internal.wal.WalFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of a database directory, sorted by role: checkpoints by LSN, log segments by id,
 * leftover temporary files, the lock file, recovery reports and anything else. Reading a listing
 * opens no file, and the tools never open {@code keel.lock} themselves: closing any descriptor of
 * it would drop the fcntl lock an open database in this JVM holds (only {@link ProcessLock} may).
 */
record DbDirectory(Path directory, List<Path> checkpoints, List<Path> segments, List<Path> tempFiles,
        List<Path> otherFiles, boolean hasLockFile) {

    static final String RECOVERY_REPORT = "recovery.json";

    static DbDirectory list(FileIO io, Path directory) throws IOException {
        List<Path> checkpoints = new ArrayList<>();
        List<Path> segments = new ArrayList<>();
        List<Path> temps = new ArrayList<>();
        List<Path> others = new ArrayList<>();
        boolean lock = false;
        for (Path f : io.list(directory)) {
            String name = f.getFileName().toString();
            if (CheckpointFormat.parseLsn(name) >= 0) {
                checkpoints.add(f);
            } else if (WalFormat.parseId(name) >= 0) {
                segments.add(f);
            } else if (name.endsWith(CheckpointFormat.TEMP_SUFFIX)) {
                temps.add(f);
            } else if (name.equals(ProcessLock.FILE_NAME)) {
                lock = true;
            } else if (!isRecoveryReport(name)) {
                others.add(f);
            }
        }
        checkpoints.sort(Comparator.comparingLong(DbDirectory::checkpointLsn));
        segments.sort(Comparator.comparingLong(DbDirectory::segmentId));
        return new DbDirectory(directory, List.copyOf(checkpoints), List.copyOf(segments), List.copyOf(temps),
                List.copyOf(others), lock);
    }

    /**
     * Checks that {@code directory} is an existing KeelDB database directory.
     *
     * @param role how the caller names it in messages ("database directory", "backup", ...)
     * @throws IllegalArgumentException it does not exist, is not a directory or holds no KeelDB file
     */
    static DbDirectory require(FileIO io, Path directory, String role) throws IOException {
        if (!io.exists(directory)) {
            throw new IllegalArgumentException(role + " " + directory + " does not exist; check the path");
        }
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException(role + " " + directory + " is not a directory; give the directory"
                    + " that holds the database files");
        }
        DbDirectory d = list(io, directory);
        if (d.checkpoints.isEmpty() && d.segments.isEmpty() && !d.hasLockFile) {
            throw new IllegalArgumentException(role + " " + directory + " is not a KeelDB database directory (no"
                    + " checkpoint or log segment found); check the path");
        }
        return d;
    }

    /**
     * Checks that {@code target} can receive new files without overwriting anything: absent, or an
     * empty directory, and not inside {@code source}.
     */
    static void requireAbsentOrEmpty(Path target, Path source, String role) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Path s = source.toAbsolutePath().normalize();
        if (t.startsWith(s)) {
            throw new IllegalArgumentException(role + " " + target + " is inside " + source + "; choose a directory"
                    + " outside it");
        }
        if (!Files.exists(target)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new IllegalArgumentException(role + " " + target + " exists and is not a directory; choose a new"
                    + " directory");
        }
        try (Stream<Path> entries = Files.list(target)) {
            if (entries.findAny().isPresent()) {
                throw new IllegalArgumentException(role + " " + target + " is not empty; choose a new or empty"
                        + " directory (nothing is ever overwritten)");
            }
        }
    }

    Path newestCheckpoint() {
        return checkpoints.isEmpty() ? null : checkpoints.get(checkpoints.size() - 1);
    }

    Path quarantine() {
        return directory.resolve(Quarantine.DIRECTORY);
    }

    static long checkpointLsn(Path file) {
        return CheckpointFormat.parseLsn(file.getFileName().toString());
    }

    static long segmentId(Path file) {
        return WalFormat.parseId(file.getFileName().toString());
    }

    /** {@code recovery.json} and the kept earlier reports {@code recovery-<n>.json}. */
    static boolean isRecoveryReport(String name) {
        return name.equals(RECOVERY_REPORT) || (name.startsWith("recovery-") && name.endsWith(".json"));
    }
}
