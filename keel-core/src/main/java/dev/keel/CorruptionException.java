package dev.keel;

import java.nio.file.Path;

/**
 * A database file is damaged. Names the file and byte offset and says what to do; NORMAL recovery
 * never opens over corruption, READ_ONLY and FORCE recovery modes can.
 */
public class CorruptionException extends KeelException {
    private final transient Path file;
    private final long offset;

    public CorruptionException(Path file, long offset, String message) {
        this(ErrorCode.CORRUPTION, file, offset, message, null);
    }

    public CorruptionException(Path file, long offset, String message, Throwable cause) {
        this(ErrorCode.CORRUPTION, file, offset, message, cause);
    }

    protected CorruptionException(ErrorCode code, Path file, long offset, String message, Throwable cause) {
        super(code, message + " (file " + file + ", offset " + offset + ")", cause);
        this.file = file;
        this.offset = offset;
    }

    /** The damaged file. */
    public Path file() {
        return file;
    }

    /** Byte offset of the damage inside {@link #file()}. */
    public long offset() {
        return offset;
    }
}
