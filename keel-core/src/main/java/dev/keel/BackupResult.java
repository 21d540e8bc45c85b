package dev.keel;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A finished, verified backup: a directory holding one checkpoint, which {@link KeelDb#open} opens
 * as a database (restore is a copy of it).
 *
 * @param directory the backup directory
 * @param lsn the last commit the backup contains
 * @param entities number of entities in it
 * @param sizeInBytes size of the backup's files
 * @param took how long writing and verifying took
 */
public record BackupResult(Path directory, long lsn, long entities, long sizeInBytes, Duration took) {
}
