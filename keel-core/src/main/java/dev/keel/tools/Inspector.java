package dev.keel.tools;

import java.nio.file.Path;

/** SKELETON (helper A implements): what is in a database directory, read-only. */
public final class Inspector {
    private Inspector() {
    }

    /**
     * Describes the database without taking its lock or writing anything, so it also works on a
     * database another process has open (the answer is then a snapshot that may change).
     *
     * @throws IllegalArgumentException the directory does not exist or is not a KeelDB directory
     */
    public static DatabaseInfo inspect(Path directory) {
        throw new UnsupportedOperationException("skeleton");
    }
}
