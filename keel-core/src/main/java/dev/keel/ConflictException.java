package dev.keel;

/**
 * A concurrent transaction committed first and changed an entity this transaction also wrote
 * (first committer wins). Nothing of this transaction was applied; it is safe to retry it.
 * {@link KeelDb#write} retries automatically up to {@link KeelOptions#maxConflictRetries()} times.
 */
public final class ConflictException extends KeelException {
    public ConflictException(String message) {
        super(ErrorCode.CONFLICT, message);
    }
}
