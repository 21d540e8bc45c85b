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

    /** True when recovery found nothing to repair or report. */
    public boolean clean() {
        return events.isEmpty();
    }

    /** Kinds of recovery findings. */
    public enum EventKind {
        /** A partial or checksum-failed record at the end of the log, nothing valid after it: cut. */
        TORN_TAIL_CUT,
        /** Records of a transaction with no commit marker at the end of the log: discarded. */
        INCOMPLETE_TRANSACTION_DISCARDED,
        /** A damaged record followed by valid ones (FORCE and READ_ONLY skip it; NORMAL refuses). */
        CORRUPT_RECORD_SKIPPED,
        /** A gap in the log sequence: records are missing. */
        LOG_GAP,
        /** A damaged or unreadable checkpoint was passed over. */
        CHECKPOINT_SKIPPED,
        /** A leftover temporary file of an interrupted checkpoint or segment preparation was removed. */
        TEMP_FILE_REMOVED
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
