package dev.keel.internal.engine;

import dev.keel.DatabaseStatistics;
import dev.keel.internal.wal.WalWriter;
import java.time.Duration;
import java.time.Instant;

/**
 * Assembles {@link DatabaseStatistics} from counters the engine keeps anyway: the commit count,
 * the log's write and sync statistics and the checkpointer's. Each is a volatile read; the counters
 * are advanced only after what they count succeeded (see {@link DatabaseStatistics}).
 */
public final class EngineStatistics {
    private EngineStatistics() {
    }

    /** The statistics of {@code e} now; see {@link dev.keel.KeelDb#statistics()}. */
    public static DatabaseStatistics of(Engine e) {
        Instant now = e.boot().clock().instant();
        WalWriter wal = e.wal();
        Checkpointer cp = e.checkpointer();
        if (wal == null || cp == null) {
            return new DatabaseStatistics(e.commits.sum(), 0, Duration.ZERO, Duration.ZERO, 0, 0, 0, 0, 0, 0, null,
                    null, Duration.between(e.openedAt(), now), 0);
        }
        WalWriter.SyncStats sync = wal.syncStats();
        WalWriter.WriteStats written = wal.writeStats();
        Instant last = cp.lastCheckpointAt();
        return new DatabaseStatistics(e.commits.sum(), sync.syncs(), Duration.ofNanos(sync.totalNanos()),
                Duration.ofNanos(sync.maxNanos()), written.bytesWritten(), written.bytesSynced(), written.commitSyncs(),
                written.syncedCommits(), written.largestSync(), cp.installed(), cp.lastDuration(), last,
                Duration.between(last != null ? last : e.openedAt(), now), Math.max(0, cp.logBytesSinceCheckpoint()));
    }
}
