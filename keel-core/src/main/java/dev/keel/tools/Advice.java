package dev.keel.tools;

import dev.keel.CorruptionException;
import java.nio.file.Path;

/** The sentences the tools append to a finding or an error: what to do next, in `keel` commands. */
final class Advice {
    private static final String NOT_OPENED = ". The database was not opened";

    private Advice() {
    }

    /** What to do about damage that makes NORMAL open refuse the database. */
    static String recover(Path directory) {
        return "NORMAL open refuses this database. Run `keel recover " + directory + " --mode read-only` to see what"
                + " is intact, `keel recover " + directory + " --mode force` to salvage every complete transaction"
                + " (damaged bytes are kept under quarantine/), or restore a backup";
    }

    /** What to do about damage found outside a verify run. */
    static String verify(Path directory) {
        return "Run `keel verify " + directory + "` for a full report";
    }

    /**
     * The finding in a recovery error without its code, file suffix and the advice written for the
     * API (RecoveryMode names), so the tools can give theirs instead. Falls back to the full message.
     */
    static String what(CorruptionException e) {
        String m = e.getMessage();
        String code = "[" + e.code() + "] ";
        if (m.startsWith(code)) {
            m = m.substring(code.length());
        }
        String where = " (file " + e.file() + ", offset " + e.offset() + ")";
        if (m.endsWith(where)) {
            m = m.substring(0, m.length() - where.length());
        }
        int advice = m.indexOf(NOT_OPENED);
        return advice > 0 ? m.substring(0, advice) : m;
    }
}
