package dev.keel;

/**
 * The database hit a fatal storage error earlier (a failed log write or sync, a failed checkpoint)
 * and refuses every write until it is closed and reopened. The first failure is attached as the
 * cause. Reopening runs recovery, which restores every acknowledged commit.
 */
public final class DatabaseFailedException extends StorageException {
    public DatabaseFailedException(String message, Throwable firstFailure) {
        super(ErrorCode.DATABASE_FAILED, message, firstFailure);
    }
}
