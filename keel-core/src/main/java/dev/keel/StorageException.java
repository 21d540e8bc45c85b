package dev.keel;

/**
 * An I/O operation on the database files failed. When raised by a commit, the commit is not
 * acknowledged and the database has moved to the failed state (see {@link DatabaseFailedException}).
 */
public class StorageException extends KeelException {
    public StorageException(String message, Throwable cause) {
        super(ErrorCode.STORAGE_FAILURE, message, cause);
    }

    protected StorageException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }
}
