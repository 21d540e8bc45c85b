package dev.keel.fault;

/**
 * The places where the engine announces itself to a {@link CrashHook}: every step of a commit,
 * of the log's segment life cycle, of a checkpoint and of recovery after which the files on disk
 * are in a different state. The names are stable: tests and users refer to them, so a step that
 * goes away is deprecated, not renamed.
 *
 * <p>A point is announced <em>after</em> the step its name says happened and <em>before</em> the
 * next; "mid" points are announced between two I/O calls of one step (for one write call, a crash
 * in the middle of it is modelled by tearing that write when the power is cut).
 */
public enum CrashPoint {
    // ---- commit -----------------------------------------------------------------------------

    /** A transaction passed validation and none of its records is in the log buffer yet. */
    COMMIT_BEFORE_APPEND(Stage.COMMIT),
    /**
     * A batch of log records was handed to the file in one write; a crash here with a torn write
     * leaves a partial record at the end of the log.
     */
    COMMIT_MID_RECORD(Stage.COMMIT),
    /**
     * Every record of the batch is written to the file and not yet synced (except the part that
     * filled a segment: a full segment is synced when it is sealed).
     */
    COMMIT_AFTER_APPEND(Stage.COMMIT),
    /**
     * The commit's records are synced in SYNC mode (only written in GROUP and ASYNC mode); this
     * committer has not yet published it nor returned (another committer's publish may already
     * have made it visible).
     */
    COMMIT_AFTER_SYNC(Stage.COMMIT),
    /** The commit is visible to readers but not yet acknowledged to the caller. */
    COMMIT_AFTER_PUBLISH(Stage.COMMIT),

    // ---- log segments -------------------------------------------------------------------------

    /** A new segment's temporary file has its header and part of its zero fill, unsynced. */
    SEGMENT_PREPARE_MID_FILL(Stage.SEGMENT),
    /** The temporary segment file is fully written and synced, not yet renamed. */
    SEGMENT_PREPARE_BEFORE_RENAME(Stage.SEGMENT),
    /** The segment file has its final name; the directory is not yet synced. */
    SEGMENT_PREPARE_AFTER_RENAME(Stage.SEGMENT),
    /** A full segment was synced and closed; the next segment has no record yet. */
    SEGMENT_ROTATED(Stage.SEGMENT),
    /** Some segments covered by a checkpoint were deleted; the directory is not yet synced. */
    SEGMENT_RETIRE_MID_DELETE(Stage.SEGMENT),

    // ---- checkpoint ----------------------------------------------------------------------------

    /** The checkpoint's temporary file holds some of its blocks, unsynced. */
    CHECKPOINT_MID_TEMP_WRITE(Stage.CHECKPOINT),
    /** The temporary checkpoint file is complete and synced, not yet renamed. */
    CHECKPOINT_AFTER_TEMP_SYNC(Stage.CHECKPOINT),
    /** The checkpoint has its final name; the directory is not yet synced. */
    CHECKPOINT_AFTER_RENAME(Stage.CHECKPOINT),
    /** The checkpoint is installed (directory synced); older checkpoints and segments still exist. */
    CHECKPOINT_BEFORE_RETIREMENT(Stage.CHECKPOINT),
    /** Older checkpoint files were deleted; the directory is not yet synced. */
    CHECKPOINT_MID_OLD_DELETE(Stage.CHECKPOINT),

    // ---- recovery (a crash here must be recoverable too) ----------------------------------------

    /** Leftover temporary files were deleted; the directory is not yet synced. */
    RECOVERY_MID_TEMP_REMOVAL(Stage.RECOVERY),
    /** A quarantine file holds cut bytes, not yet synced. */
    RECOVERY_MID_QUARANTINE_WRITE(Stage.RECOVERY),
    /**
     * Damaged bytes are durably in quarantine: a copy synced with its directory (the source is
     * unchanged), or a whole damaged file moved there (both directories synced).
     */
    RECOVERY_AFTER_QUARANTINE(Stage.RECOVERY),
    /** A torn tail was truncated off its segment, the truncation not yet synced. */
    RECOVERY_MID_TAIL_CUT(Stage.RECOVERY),
    /** FORCE recovery installed its checkpoint; the damaged segments are not yet deleted. */
    RECOVERY_FORCE_AFTER_CHECKPOINT(Stage.RECOVERY),
    /** Segments were deleted by recovery; the directory is not yet synced. */
    RECOVERY_MID_SEGMENT_DELETE(Stage.RECOVERY),
    /** The recovery report's temporary file is written, not yet synced. */
    RECOVERY_MID_REPORT_WRITE(Stage.RECOVERY),
    /** The recovery report has its final name; the directory is not yet synced. */
    RECOVERY_AFTER_REPORT_RENAME(Stage.RECOVERY),

    // ---- schema migration on open -----------------------------------------------------------------

    /**
     * The declared schema differs from the stored one (also when types are only added, as on the
     * first open), the data was migrated and validated in memory, and the new schema's SCHEMA
     * record, the migration's commit point, is not yet in the log: a crash here leaves the old
     * schema, and the next open migrates again.
     */
    MIGRATION_BEFORE_COMMIT(Stage.MIGRATION),
    /**
     * The new schema's SCHEMA record is durable: the migration is committed and the next open
     * finds it in the log. User-defined migration steps have not run yet.
     */
    MIGRATION_AFTER_COMMIT(Stage.MIGRATION);

    /** Which part of the engine a point belongs to. */
    public enum Stage {
        COMMIT, SEGMENT, CHECKPOINT, RECOVERY, MIGRATION
    }

    private final Stage stage;

    CrashPoint(Stage stage) {
        this.stage = stage;
    }

    /** The part of the engine this point belongs to. */
    public Stage stage() {
        return stage;
    }
}
