package dev.keel;

/** The database or the transaction was already closed. */
public final class DatabaseClosedException extends KeelException {
    public DatabaseClosedException(String message) {
        super(ErrorCode.CLOSED, message);
    }
}
