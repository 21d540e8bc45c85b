package dev.keel;

import java.nio.file.Path;

/** Another process, or another open {@link KeelDb} in this JVM, holds the database directory. */
public final class DatabaseLockedException extends KeelException {
    private final String holder;

    public DatabaseLockedException(Path directory, String holder) {
        super(ErrorCode.DATABASE_LOCKED, "database " + directory + " is in use by " + holder
                + "; close it there first (only one process may open a database for writing)");
        this.holder = holder;
    }

    /** Description of the lock holder as it recorded itself (pid, host, start time), if known. */
    public String holder() {
        return holder;
    }
}
