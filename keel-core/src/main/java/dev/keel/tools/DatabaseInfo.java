package dev.keel.tools;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What {@link Inspector#inspect} saw in a database directory. Plain values (paths as strings) so
 * it can be printed or written as JSON as is.
 *
 * @param directory the database directory
 * @param formatVersion the on-disk format version of the newest checkpoint or segment (0 if none)
 * @param checkpoint the newest checkpoint, or {@code null} when there is none
 * @param segments log segments in id order
 * @param entitiesPerType entities per entity type (after replaying the log), in schema order; a system
 *        type ({@code keel_...}, such as {@code keel_idempotency}) only when it holds entities
 * @param logRecordsPerKind log records after the checkpoint per record kind (PUT, DELETE, COMMIT, ...)
 * @param lastLsn the last committed LSN
 * @param lockHolder who holds the database for writing, or {@code null} when nobody does
 * @param lastRecoveryReport the content of {@code recovery.json}, or {@code null} when there is none
 * @param quarantineFiles files in {@code quarantine/}
 * @param notes anything unusual seen while inspecting (damage, leftover files)
 */
public record DatabaseInfo(String directory, int formatVersion, CheckpointInfo checkpoint, List<SegmentInfo> segments,
        Map<String, Long> entitiesPerType, Map<String, Long> logRecordsPerKind, long lastLsn, String lockHolder,
        String lastRecoveryReport, List<String> quarantineFiles, List<String> notes) {

    /**
     * The newest checkpoint.
     *
     * @param file its file name
     * @param lsn the last commit it contains
     * @param sizeInBytes its size
     * @param written when it was written (file modification time)
     * @param age time since it was written
     */
    public record CheckpointInfo(String file, long lsn, long sizeInBytes, Instant written, Duration age) {
    }

    /**
     * One log segment.
     *
     * @param file its file name
     * @param id its id
     * @param sizeInBytes its size on disk (segments are preallocated)
     * @param firstLsn first LSN in it, 0 if empty
     * @param lastLsn last LSN in it, 0 if empty
     * @param records number of valid records in it
     */
    public record SegmentInfo(String file, long id, long sizeInBytes, long firstLsn, long lastLsn, long records) {
    }
}
