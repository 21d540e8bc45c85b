package dev.keel.internal.recovery;

/**
 * Where recovery reports its progress (the boot sequence turns it into percent, estimates and
 * budget checks). Called on the recovering thread; an implementation may throw to abandon recovery,
 * which recovery allows only before it changed anything on disk.
 */
public interface RecoveryProgress {
    /** Ignores everything. */
    RecoveryProgress NONE = new RecoveryProgress() { };

    /** The files were listed: bytes of the newest checkpoint and of all log segments. */
    default void sizes(long checkpointBytes, long logBytes) {
    }

    /** The checkpoint of {@code bytes} was loaded and verified. */
    default void checkpointLoaded(long bytes) {
    }

    /** One more log segment of {@code bytes} was read and scanned. */
    default void logRead(long bytes) {
    }

    /** The log was scanned: {@code records} valid records will be considered for replay. */
    default void replayStarting(long records) {
    }

    /** {@code records} records were replayed so far (called every few thousand records). */
    default void replayed(long records) {
    }

    /**
     * Replay is done and recovery is about to change the directory (remove temp files, cut a tail,
     * quarantine, checkpoint). The last moment recovery may be abandoned: an implementation may throw
     * here, but must not throw for this recovery afterwards, or a repair would go unreported.
     */
    default void repairsStarting() {
    }
}
