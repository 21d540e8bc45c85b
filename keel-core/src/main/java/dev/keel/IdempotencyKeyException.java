package dev.keel;

import java.util.Objects;

/**
 * {@link KeelDb#writeIdempotent} refused a request because of its idempotency key; nothing was
 * written. The {@link #reason()} says what the caller should do:
 * <ul>
 *   <li>{@link Reason#IN_PROGRESS} ({@link ErrorCode#IDEMPOTENCY_KEY_IN_PROGRESS}): a write with the
 *       same key is running in this process right now. Wait for it to finish and retry: the retry
 *       then replays its result (or runs, if it failed).</li>
 *   <li>{@link Reason#REUSED_WITH_DIFFERENT_REQUEST} ({@link ErrorCode#IDEMPOTENCY_KEY_REUSED}): the
 *       key's stored record belongs to a different request (its request bytes differ). Use a new key
 *       for a different request.</li>
 * </ul>
 */
public final class IdempotencyKeyException extends KeelException {

    /** Why the key was refused. */
    public enum Reason {
        /** A write with this key is still running in this process. */
        IN_PROGRESS(ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS),
        /** The key was used before for a request with different bytes. */
        REUSED_WITH_DIFFERENT_REQUEST(ErrorCode.IDEMPOTENCY_KEY_REUSED);

        private final ErrorCode code;

        Reason(ErrorCode code) {
            this.code = code;
        }

        /** The error code of exceptions with this reason. */
        public ErrorCode code() {
            return code;
        }
    }

    private final Reason reason;
    private final String key;

    /** An exception for {@code key} refused for {@code reason}, with the standard message. */
    public IdempotencyKeyException(Reason reason, String key) {
        super(Objects.requireNonNull(reason, "reason").code(), message(reason, key));
        this.reason = reason;
        this.key = Objects.requireNonNull(key, "key");
    }

    private static String message(Reason reason, String key) {
        return switch (reason) {
            case IN_PROGRESS -> "idempotency key '" + key + "' is in use by a request that is still running, and"
                    + " nothing was written: wait for the first request to finish and retry";
            case REUSED_WITH_DIFFERENT_REQUEST -> "idempotency key '" + key + "' was already used for a different"
                    + " request (the request bytes differ from those stored with the key), and nothing was written:"
                    + " use a new key for a different request";
        };
    }

    /** Why the key was refused. */
    public Reason reason() {
        return reason;
    }

    /** The idempotency key. */
    public String key() {
        return key;
    }
}
