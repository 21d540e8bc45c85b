package dev.keel;

/** A write was attempted on a database opened in {@link RecoveryMode#READ_ONLY}. */
public final class ReadOnlyException extends KeelException {
    public ReadOnlyException() {
        super(ErrorCode.READ_ONLY, "database was opened read-only (RecoveryMode.READ_ONLY); reopen it"
                + " in NORMAL or FORCE mode to write");
    }
}
