package dev.keel.cli;

/**
 * A failure a command detected itself and knows the exit code of: the message is the one line
 * printed after {@code keel <command>:}, the hint (may be null) says what to do about it.
 */
final class CliException extends RuntimeException {
    private final int exitCode;
    private final String hint;

    CliException(int exitCode, String message, String hint) {
        super(message);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    CliException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    int exitCode() {
        return exitCode;
    }

    String hint() {
        return hint;
    }
}
