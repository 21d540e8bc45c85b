package dev.keel;

/**
 * A concurrent transaction committed first and changed an entity this transaction also wrote
 * (first committer wins). Nothing of this transaction was applied; it is safe to retry it.
 * {@link KeelDb#write} retries automatically up to {@link KeelOptions#maxConflictRetries()} times.
 */
public final class ConflictException extends KeelException {
    private final long winnerLsn;

    public ConflictException(String message, long winnerLsn) {
        super(ErrorCode.CONFLICT, message);
        this.winnerLsn = winnerLsn;
    }

    /** LSN of the commit that won; a retry should start from a snapshot that includes it. */
    public long winnerLsn() {
        return winnerLsn;
    }
}
