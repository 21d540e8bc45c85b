package dev.keel;

/**
 * Stable error codes carried by every {@link KeelException}. The numeric id is part of the public
 * contract (logs, the future HTTP API) and never changes; the ordinal is not used.
 */
public enum ErrorCode {
    /** An I/O operation on the database files failed. */
    STORAGE_FAILURE(100),
    /** A fatal storage error happened earlier; the database refuses writes until reopened. */
    DATABASE_FAILED(101),
    /** A file is damaged: a checksum mismatch or a structure that cannot be decoded. */
    CORRUPTION(200),
    /** A file was written by a format version this build cannot read. */
    UNSUPPORTED_FORMAT_VERSION(201),
    /** Another process (or another open instance in this JVM) holds the database. */
    DATABASE_LOCKED(300),
    /** The database or transaction is closed. */
    CLOSED(301),
    /** The database was opened read-only. */
    READ_ONLY(302),
    /** A concurrent transaction committed a change to an entity this one changed; retry. */
    CONFLICT(400),
    /** A write breaks a schema rule (missing required field, wrong type, unknown field). */
    CONSTRAINT_VIOLATION(401),
    /** The entity to update does not exist. */
    NOT_FOUND(402),
    /** The declared schema does not match the schema stored in the database. */
    SCHEMA_MISMATCH(500),
    /** Opening took longer than a phase's time budget allowed. */
    BOOT_BUDGET_EXCEEDED(600),
    /** A write with this idempotency key is still running in this process; wait for it and retry. */
    IDEMPOTENCY_KEY_IN_PROGRESS(700),
    /** The idempotency key was already used for a different request; use a new key. */
    IDEMPOTENCY_KEY_REUSED(701);

    private final int id;

    ErrorCode(int id) {
        this.id = id;
    }

    /** The stable numeric id of this code. */
    public int id() {
        return id;
    }
}
