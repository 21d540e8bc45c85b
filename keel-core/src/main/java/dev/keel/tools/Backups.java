package dev.keel.tools;

import dev.keel.BackupResult;
import dev.keel.CorruptionException;
import dev.keel.RecoveryReport;
import dev.keel.StorageException;
import dev.keel.internal.checkpoint.CheckpointFormat;
import dev.keel.internal.engine.BackupWriter;
import dev.keel.internal.engine.ProcessLock;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.io.FileIO;
import dev.keel.internal.io.NioFileIO;
import dev.keel.internal.io.StorageFile;
import dev.keel.internal.recovery.Recovery;
import dev.keel.internal.store.Store;
import dev.keel.tools.VerifyReport.Finding;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backup of a database directory from outside the process that holds it, and restore.
 *
 * <p>Backup, ordering: the source is never opened for writing, locked or written to; it may be in
 * use by another process, or by an open {@link dev.keel.KeelDb} in this JVM, meanwhile. Its newest
 * checkpoint and log segments are read ({@link OnlineCopy}: every segment as a prefix of its final
 * content, retried when a checkpoint retires files under the copy), the longest valid prefix of the
 * log after the checkpoint is kept (the log is append-only and a transaction applies only with its
 * commit record, so any such prefix is a committed state), written to a private staging directory
 * beside the destination, recovered there in memory with READ_ONLY recovery, and the resulting
 * state written as a one-checkpoint database directory ({@link BackupWriter}). The staging
 * directory is removed afterwards. Damage in a sealed log segment followed by valid records, or a
 * damaged checkpoint, is corruption of the source: the backup fails naming file and offset.
 *
 * <p>Backup, durability: the destination is written like any checkpoint (temporary file, sync,
 * rename, directory sync, parent sync) and read back in full before {@link #backup} returns; on
 * failure it is removed, so a destination that exists after a normal return is a verified backup.
 *
 * <p>Restore, ordering: the backup must {@link Verifier verify} CLEAN (notes are fine) before a
 * byte is written; a shared lock on it is then held while its checkpoint and log files are copied
 * into a hidden staging directory beside the target, each synced, then the staging directory. The
 * copy is recovered in memory, exactly as a NORMAL open will recover it but without writing (a
 * torn tail is cut only in memory), and compared with the backup recovered the same way (LSN of
 * the last commit, entity count, findings); only then is the staging directory renamed to the
 * target and the parent directory synced. Any
 * database directory that verifies CLEAN is accepted as a backup: its checkpoint and log segments
 * are copied (not its lock file, temporary files, recovery reports or quarantine).
 *
 * <p>Restore, durability: the target appears by one atomic directory rename, complete and checked,
 * or not at all. On failure the staging directory is removed; a crash can leave a hidden
 * {@code .<target>.restore-staging-*} directory beside the target, which can be deleted.
 *
 * <p>Thread-safe: each call works on its own files and state.
 */
public final class Backups {
    private static final Logger LOG = LoggerFactory.getLogger(Backups.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Backups() {
    }

    /**
     * Backs up the database in {@code source} into {@code destination} (absent or empty) without
     * opening it for writing: works while another process has it open (online). The result is a
     * consistent committed state, verified after writing.
     *
     * @throws IllegalArgumentException the source is missing or not a KeelDB directory, or the
     *         destination is not empty (nothing is touched then)
     * @throws CorruptionException the source is damaged (the message names file and offset)
     * @throws StorageException reading the source or writing the backup failed
     */
    public static BackupResult backup(Path source, Path destination) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        FileIO io = NioFileIO.INSTANCE;
        long started = System.nanoTime();
        Path staging = null;
        try {
            DbDirectory.require(io, source, "backup source");
            DbDirectory.requireAbsentOrEmpty(destination, source, "backup destination");
            OnlineCopy copy = OnlineCopy.take(io, source);
            staging = besideOf(destination, "backup-staging");
            Store state = copy.recover(io, staging);
            BackupResult written = BackupWriter.write(io, state, destination);
            return new BackupResult(written.directory(), written.lsn(), written.entities(), written.sizeInBytes(),
                    Duration.ofNanos(System.nanoTime() - started));
        } catch (IOException e) {
            throw new StorageException("backup of " + source + " to " + destination + " failed: " + e + ". The source"
                    + " was not changed and no backup was left in " + destination + "; check the space and permissions"
                    + " there, then run it again", e);
        } finally {
            if (staging != null) {
                removeStaging(io, staging);
            }
        }
    }

    /**
     * Restores a backup into {@code target} (absent or empty), then verifies the result opens and
     * matches the backup.
     *
     * @throws IllegalArgumentException the backup is missing or not a KeelDB directory, or the target
     *         is not empty (nothing is touched then)
     * @throws CorruptionException the backup does not verify clean (nothing is written then), or the
     *         restored copy does not match it (the copy is removed)
     * @throws dev.keel.DatabaseLockedException the backup directory is open in a process
     * @throws StorageException reading the backup or writing the target failed (the copy is removed)
     */
    @SuppressWarnings("try") // the lock is held for the block, not used in it
    public static RestoreResult restore(Path backup, Path target) {
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(target, "target");
        FileIO io = NioFileIO.INSTANCE;
        long started = System.nanoTime();
        try {
            DbDirectory.require(io, backup, "backup");
            DbDirectory.requireAbsentOrEmpty(target, backup, "restore target");
            VerifyReport report = Verifier.verify(backup);
            if (report.outcome() != VerifyReport.Outcome.CLEAN) {
                Finding first = report.findings().stream().filter(f -> f.severity() != VerifyReport.Severity.NOTE)
                        .findFirst().orElseThrow();
                throw new CorruptionException(first.file(), first.offset(), "backup " + backup + " does not verify"
                        + " clean (" + report.outcome() + ", " + report.findings().size() + " findings; first: "
                        + first.message() + "). Nothing was written to " + target + "; run `keel verify " + backup
                        + "` for every finding, and restore another backup");
            }
            try (ProcessLock lock = ProcessLock.acquire(io, backup, true)) {
                return new Restore(io, backup, target).run(started);
            }
        } catch (IOException e) {
            throw new StorageException("restore of " + backup + " into " + target + " failed: " + e + ". The backup"
                    + " was not changed and what was copied was removed; check the space and permissions at "
                    + target + ", then run it again", e);
        }
    }

    /** One restore, holding a shared lock on the backup. */
    private static final class Restore {
        private final FileIO io;
        private final Path backup;
        private final Path target;

        Restore(FileIO io, Path backup, Path target) {
            this.io = io;
            this.backup = backup;
            this.target = target;
        }

        /**
         * Copies into a hidden staging directory beside the target, checks it, and only then renames
         * the staging directory to the target (one atomic rename): a crash at any point leaves the
         * target absent or as it was (empty), never a partial database that would open.
         */
        RestoreResult run(long started) throws IOException {
            DbDirectory d = DbDirectory.list(io, backup);
            Recovery.Result expected = DryRunFileIO.simulateNormalOpen(io, backup);
            Path staging = besideOf(target, "restore-staging");
            boolean installed = false;
            try {
                io.createDirectories(staging);
                List<Path> files = new ArrayList<>(d.checkpoints());
                files.addAll(d.segments());
                for (Path f : files) {
                    byte[] data = LogFile.readAll(io, f);
                    try (StorageFile out = io.openForWrite(staging.resolve(f.getFileName()))) {
                        out.truncate(0);
                        out.write(ByteBuffer.wrap(data), 0);
                        out.sync();
                    }
                }
                io.syncDirectory(staging);
                Recovery.Result restored = DryRunFileIO.simulateNormalOpen(io, staging);
                long entities = entities(restored.store());
                if (restored.store().lsn() != expected.store().lsn() || entities != entities(expected.store())
                        || findings(restored.report()) != findings(expected.report())) {
                    throw new CorruptionException(target, 0, "the restored copy recovers to LSN "
                            + restored.store().lsn() + " with " + entities + " entities, but the backup to LSN "
                            + expected.store().lsn() + " with " + entities(expected.store()) + "; nothing was"
                            + " installed. Check the storage of " + target + " and of the backup, then restore again");
                }
                if (io.exists(target)) {
                    io.delete(target); // checked empty before; the rename needs the name free
                }
                io.move(staging, target);
                installed = true;
                Path parent = target.toAbsolutePath().getParent();
                if (parent != null) {
                    io.syncDirectory(parent);
                }
                return new RestoreResult(target, restored.store().lsn(), entities,
                        Duration.ofNanos(System.nanoTime() - started));
            } finally {
                if (!installed) {
                    removeStaging(io, staging);
                }
            }
        }
    }

    /** Recovery findings about the data (leftover temporary files are not copied, so not counted). */
    private static long findings(RecoveryReport report) {
        return report.events().stream().filter(e -> e.kind() != RecoveryReport.EventKind.TEMP_FILE_REMOVED).count();
    }

    static long entities(Store store) {
        long n = 0;
        for (StoredType t : store.schema().types()) {
            n += store.count(t.typeId());
        }
        return n;
    }

    /** A new directory name beside {@code path}, hidden, unique: {@code .<name>.<purpose>-<random>}. */
    private static Path besideOf(Path path, String purpose) {
        Path absolute = path.toAbsolutePath().normalize();
        String name = "." + absolute.getFileName() + "." + purpose + "-" + HexFormat.of().toHexDigits(RANDOM.nextLong());
        return absolute.resolveSibling(name);
    }

    private static void removeStaging(FileIO io, Path staging) {
        try {
            if (io.exists(staging)) {
                for (Path p : io.list(staging)) {
                    io.delete(p);
                }
                io.delete(staging);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not remove the backup staging directory {}; delete it by hand", staging, e);
        }
    }
}
