package dev.keel.internal.engine;

import dev.keel.internal.io.FileIO;
import java.io.IOException;
import java.nio.file.Path;

/** The sentence added to a failure's message when its cause is a full disk. */
final class DiskFullHint {
    private DiskFullHint() {
    }

    /**
     * For a failure caused by a full disk (ENOSPC): what the volume has left and what to do; else
     * the empty string. Reads still work; committed data is intact.
     */
    static String of(FileIO io, Path directory, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (t instanceof IOException && m != null && m.contains("No space left on device")) {
                String usable;
                try {
                    usable = io.usableSpace(directory) + " bytes";
                } catch (IOException | RuntimeException e) {
                    usable = "unknown (" + e.getMessage() + ")";
                }
                return ". The cause is a full disk (ENOSPC); usable space at " + directory + " is now " + usable
                        + ". Committed data is intact and readable; free disk space, then reopen the database to"
                        + " write again";
            }
        }
        return "";
    }
}
