package dev.keel.tools;

import java.nio.file.Path;

/** SKELETON (helper A implements): full read-only verification of a database directory. */
public final class Verifier {
    private Verifier() {
    }

    /**
     * Reads every checkpoint and log segment in full, checks every checksum and the structure
     * (schema decodes, every entity decodes under its type, references), and never writes a byte.
     *
     * @throws dev.keel.DatabaseLockedException another process holds the database for writing
     * @throws IllegalArgumentException the directory does not exist or is not a KeelDB directory
     */
    public static VerifyReport verify(Path directory) {
        throw new UnsupportedOperationException("skeleton");
    }
}
