package dev.keel;

import java.util.Objects;

/**
 * Root of every error KeelDB reports. Unchecked; the {@link ErrorCode} says what kind of failure it
 * is. Subclasses exist only where a caller acts differently. Misuse of the API (null or out-of-range
 * arguments, calls in the wrong state) throws the JDK's {@code IllegalArgumentException} or
 * {@code IllegalStateException} instead.
 */
public class KeelException extends RuntimeException {
    private final ErrorCode code;

    public KeelException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public KeelException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String getMessage() {
        return "[" + code + "] " + super.getMessage();
    }
}
