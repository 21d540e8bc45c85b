package dev.keel;

/** How {@link KeelDb#open} treats damage it finds while recovering. */
public enum RecoveryMode {
    /**
     * The default. Repairs a torn log tail (quarantining the cut bytes) and otherwise refuses to open
     * over corruption with a {@link CorruptionException} naming file and offset.
     */
    NORMAL,
    /**
     * Opens whatever can be read, skipping damaged records, without writing a single byte. Writes are
     * refused. The recovery report lists everything that was skipped.
     */
    READ_ONLY,
    /**
     * Recovers what it can: damaged records and incomplete transactions are skipped and their bytes
     * quarantined, the result is checkpointed, and the report lists every loss.
     */
    FORCE
}
