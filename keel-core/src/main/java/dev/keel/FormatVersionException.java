package dev.keel;

import java.nio.file.Path;

/** A file carries a format version outside the range this build reads. */
public final class FormatVersionException extends CorruptionException {
    public FormatVersionException(Path file, long offset, String format, int actual, int min, int max) {
        super(ErrorCode.UNSUPPORTED_FORMAT_VERSION, file, offset, format + " format version " + actual
                + " is not supported: this build reads versions " + min + " to " + max
                + (actual > max ? "; open it with a newer KeelDB" : "; it is too old to read"), null);
    }
}
