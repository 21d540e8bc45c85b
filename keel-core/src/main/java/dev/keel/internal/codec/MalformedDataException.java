package dev.keel.internal.codec;

/**
 * Bytes that do not decode. Internal: the layer that knows the file and offset turns it into a
 * {@link dev.keel.CorruptionException}.
 */
public final class MalformedDataException extends RuntimeException {
    public MalformedDataException(String message) {
        super(message);
    }
}
