package dev.keel.tools;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A finished, verified restore.
 *
 * @param directory the restored database directory
 * @param lsn the last commit it contains
 * @param entities number of entities in it
 * @param took how long copying and verifying took
 */
public record RestoreResult(Path directory, long lsn, long entities, Duration took) {
}
