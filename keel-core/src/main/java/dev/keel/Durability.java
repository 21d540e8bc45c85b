package dev.keel;

/**
 * When a commit is acknowledged, and therefore what a crash may lose. In every mode a commit
 * becomes visible to readers exactly when it is acknowledged, and a killed process (the operating
 * system survives) loses nothing acknowledged in any mode; the modes differ on power loss or an
 * operating-system crash.
 */
public enum Durability {
    /**
     * The default. A commit returns only after its log record is on stable storage (fdatasync).
     * Concurrent committers share one sync (group commit). Power loss loses no acknowledged commit.
     */
    SYNC,
    /**
     * A commit returns once its log record is written to the operating system; a background sync
     * runs at most every {@link KeelOptions#groupCommitWindow()}. Power loss may lose the commits
     * acknowledged during the last window plus the duration of one sync.
     */
    GROUP,
    /**
     * A commit returns once its log record is written to the operating system; the log is synced
     * only at segment rotation, checkpoint and close. Power loss may lose every commit acknowledged
     * since the last of those.
     */
    ASYNC
}
