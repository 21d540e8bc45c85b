package dev.keel;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link KeelDb#open} found and did while recovering: the checkpoint it started from, how much
 * log it replayed, and every repair or loss, each as an {@link Event} naming file, offset and the
 * quarantine file holding the affected bytes. Immutable.
 *
 * @param mode the recovery mode used
 * @param checkpointLsn LSN of the checkpoint loaded, 0 when none
 * @param checkpointFile the checkpoint file loaded, or {@code null}
 * @param segmentsRead log segments scanned
 * @param bytesRead log bytes scanned
 * @param recordsReplayed log records applied on top of the checkpoint
 * @param transactionsReplayed committed transactions applied on top of the checkpoint
 * @param transactionsRolledBack transactions found without a commit marker, discarded
 * @param lastLsn the LSN the database continues from
 * @param events repairs and losses, in the order found; empty after a clean shutdown
 */
public record RecoveryReport(RecoveryMode mode, long checkpointLsn, Path checkpointFile, int segmentsRead,
        long bytesRead, long recordsReplayed, long transactionsReplayed, long transactionsRolledBack,
        long lastLsn, List<Event> events) {

    public RecoveryReport {
        events = List.copyOf(events);
    }

    /** True when recovery found nothing to repair or report (informational events aside). */
    public boolean clean() {
        return events.stream().allMatch(e -> e.kind().informational());
    }

    /** Number of events of {@code kind}. */
    public long count(EventKind kind) {
        return events.stream().filter(e -> e.kind() == kind).count();
    }

    /** Kinds (categories) of recovery findings. */
    public enum EventKind {
        /** A partial or checksum-failed record at the end of the log, nothing valid after it: cut. */
        TORN_TAIL_CUT,
        /** Records of a transaction with no commit marker at the end of the log: discarded. */
        INCOMPLETE_TRANSACTION_DISCARDED,
        /**
         * A well-formed record whose checksum does not match, followed by valid records: bit rot or a
         * misdirected write (FORCE and READ_ONLY skip it; NORMAL refuses to open).
         */
        CHECKSUM_MISMATCH,
        /**
         * Corruption followed by good records: bytes that are not a record at all (garbage, zeroed
         * block, a whole damaged segment), followed by valid ones (FORCE and READ_ONLY skip them;
         * NORMAL refuses to open).
         */
        CORRUPT_RECORD_SKIPPED,
        /**
         * A committed transaction whose records cannot be applied (an unknown entity type, an id out
         * of range): skipped whole by FORCE and READ_ONLY; NORMAL refuses to open. Also a committed
         * transaction with a record that cannot be migrated to the current schema (an unknown schema
         * version, bytes that do not decode under their version, a value that does not widen
         * exactly): skipped whole in every mode, bytes kept under quarantine, unless
         * {@code KeelOptions.Builder.strictMigration} makes it fail the open.
         */
        RECORD_NOT_APPLIED,
        /**
         * Log records written under an older schema version were converted to the current one while
         * replayed (one event per source version, with the count). Informational.
         */
        RECORD_MIGRATED,
        /** A gap in the log sequence: records are missing. */
        LOG_GAP,
        /** A damaged or unreadable checkpoint was passed over. */
        CHECKPOINT_SKIPPED,
        /**
         * Files of an older generation that an interrupted retirement left behind: an older
         * checkpoint, or a log segment whose records are all covered by the checkpoint. They are not
         * read and are removed by the next checkpoint. Informational.
         */
        STALE_GENERATION,
        /** A leftover temporary file of an interrupted checkpoint or segment preparation was removed. */
        TEMP_FILE_REMOVED;

        /** True for findings that are neither a repair nor a loss. */
        public boolean informational() {
            return this == STALE_GENERATION || this == RECORD_MIGRATED;
        }
    }

    /**
     * One finding.
     *
     * @param kind what was found
     * @param file the file it was found in
     * @param offset byte offset in that file
     * @param lsn the last good LSN before it (0 if none)
     * @param length number of bytes affected
     * @param quarantineFile where the affected bytes were copied, or {@code null} when nothing was
     *        written (READ_ONLY mode, or nothing to keep)
     * @param detail a sentence for humans
     */
    public record Event(EventKind kind, Path file, long offset, long lsn, long length, Path quarantineFile,
            String detail) {
    }
}
