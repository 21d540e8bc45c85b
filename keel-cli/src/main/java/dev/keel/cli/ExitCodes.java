package dev.keel.cli;

/**
 * The exit codes of every {@code keel} command, and their one-line descriptions for the
 * {@code Exit codes:} section of each command's help (picocli {@code exitCodeList} entries are
 * "code:description"). The numbers are a contract for scripts; they never change meaning.
 */
public final class ExitCodes {
    /** The command did what it was asked. */
    public static final int OK = 0;
    /** The command ran and found problems (verify) or rejected its input (a bad import line). */
    public static final int PROBLEMS = 1;
    /** The database cannot be used: corruption NORMAL refuses, unknown format version, schema mismatch. */
    public static final int UNUSABLE = 2;
    /** Another process (or another open instance) holds the database. */
    public static final int LOCKED = 3;
    /** The directory does not exist or is not a KeelDB database. */
    public static final int NOT_A_DATABASE = 4;
    /** An I/O error (disk full, permissions, a failed sync). */
    public static final int IO_ERROR = 5;
    /** Bad options or arguments (sysexits EX_USAGE). */
    public static final int USAGE = 64;
    /** A bug: an unexpected exception (sysexits EX_SOFTWARE); the stack trace goes to stderr. */
    public static final int INTERNAL = 70;

    static final String HEADING = "%nExit codes:%n";
    static final String L_OK = "0:success";
    static final String L_PROBLEMS = "1:problems found or input rejected";
    static final String L_UNUSABLE = "2:database unusable (corruption, format version, schema mismatch)";
    static final String L_LOCKED = "3:database locked by another process (the holder is named)";
    static final String L_MISSING = "4:directory missing or not a KeelDB database";
    static final String L_IO = "5:I/O error (disk full, permissions)";
    static final String L_USAGE = "64:usage error (bad options or arguments)";
    static final String L_INTERNAL = "70:internal error (stack trace on stderr)";

    private ExitCodes() {
    }
}
