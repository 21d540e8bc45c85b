package dev.keel;

import java.time.Duration;
import java.time.Instant;

/**
 * What an open database has done since it was opened, for metrics and dashboards: a snapshot taken
 * at one instant by {@link KeelDb#statistics()}, cheap enough to read on every metrics scrape.
 *
 * <p>Counters move only after what they count is done (G5): a commit is counted once it is
 * acknowledged (durable under {@link KeelOptions#durability()}; in the default
 * {@link Durability#SYNC} mode, synced), log bytes once the write or the sync of them returned, a
 * checkpoint once it is installed. A failed commit, write, sync or checkpoint is never counted.
 * Counters start at zero with each open; a database opened read-only counts nothing.
 *
 * @param commits transactions committed and acknowledged ({@link KeelDb#write}, {@link KeelDb#execute},
 *        {@link Transaction#commit()}); schema changes and index creations are not counted
 * @param logSyncs syncs of log segment files ({@code fsync})
 * @param logSyncTime total time spent in those syncs
 * @param longestLogSync the longest of those syncs
 * @param logBytesWritten log bytes handed to the operating system
 * @param logBytesSynced log bytes known to be on stable storage
 * @param groupCommitBatches log syncs that made at least one commit durable
 * @param groupCommitTransactions commits made durable by those syncs; divided by
 *        {@code groupCommitBatches} it is the mean group-commit batch size
 * @param largestGroupCommit most commits made durable by one sync
 * @param checkpoints checkpoints written and installed by this instance (the one of a clean close
 *        is written after the database stopped counting)
 * @param lastCheckpointDuration how long the last of them took, or {@code null} when there was none
 * @param lastCheckpoint when the last of them was installed (by {@link KeelOptions#clock()}), or
 *        {@code null} when there was none
 * @param checkpointAge time since the last checkpoint of this instance, or since the open when there
 *        was none
 * @param logBytesSinceCheckpoint log bytes the next recovery would replay
 */
public record DatabaseStatistics(long commits, long logSyncs, Duration logSyncTime, Duration longestLogSync,
        long logBytesWritten, long logBytesSynced, long groupCommitBatches, long groupCommitTransactions,
        long largestGroupCommit, long checkpoints, Duration lastCheckpointDuration, Instant lastCheckpoint,
        Duration checkpointAge, long logBytesSinceCheckpoint) {
}
