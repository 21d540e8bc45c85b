package dev.keel.tools;

import dev.keel.BackupResult;
import java.nio.file.Path;

/** SKELETON (helper A implements): backup of a directory from outside, and restore. */
public final class Backups {
    private Backups() {
    }

    /**
     * Backs up the database in {@code source} into {@code destination} (absent or empty) without
     * opening it for writing: works while another process has it open (online). The result is a
     * consistent committed state, verified after writing.
     */
    public static BackupResult backup(Path source, Path destination) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Restores a backup into {@code target} (absent or empty), then verifies the result opens and
     * matches the backup.
     */
    public static RestoreResult restore(Path backup, Path target) {
        throw new UnsupportedOperationException("skeleton");
    }
}
