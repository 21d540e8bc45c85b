package dev.keel;

import java.util.Map;

/**
 * A read-write transaction. It reads from the snapshot taken when it began plus its own writes;
 * other transactions never see its writes before it commits. {@link #commit()} validates that no
 * transaction committed since this one began changed an entity this one writes (first committer
 * wins, else {@link ConflictException}), then appends the changes to the log and returns when they
 * are durable under the configured {@link Durability}. {@link #close()} rolls back an uncommitted
 * transaction. Confined to one thread.
 *
 * <p>System types (names starting with {@code keel_}, such as the idempotency records of
 * {@link KeelDb#writeIdempotent}) can be read but not written: inserting, updating or deleting one
 * throws {@code IllegalArgumentException}.
 */
public interface Transaction extends Snapshot, AutoCloseable {

    /**
     * Inserts an entity and returns its new id (ids are assigned by the database, ascending per
     * type; an id given to a transaction that rolls back may be reused after a restart). Absent
     * fields take their defaults.
     *
     * @throws ConstraintViolationException a required field is missing, a value has the wrong type
     *         or breaks a rule of its field (min, max, length, pattern, oneOf), a unique value is
     *         taken (naming the entity that has it), a reference points at no entity, or a field is
     *         not declared. Unique values and references are checked again at commit against the
     *         newest state, so a concurrent transaction cannot break them either (and two writes of
     *         one transaction that share a unique value are refused there)
     * @throws ConflictException the entity holding the unique value, or the missing reference
     *         target, changed since this transaction began; retry
     */
    long insert(String type, Map<String, ?> values);

    /**
     * Inserts an entity under an id chosen by the caller, for imports and copies that must keep ids
     * (references point at them). Ids the database assigns later are above every id inserted this
     * way. If another transaction inserts the same id and commits first, this one fails with a
     * {@link ConflictException} at commit.
     *
     * @throws IllegalArgumentException {@code id} is not between 1 and {@code Long.MAX_VALUE - 1}
     * @throws ConstraintViolationException an entity with this id exists, or a value is invalid (as
     *         for {@link #insert(String, Map)})
     */
    long insert(String type, long id, Map<String, ?> values);

    /** Inserts a record of a declared record type and returns its new id. */
    long insert(Record record);

    /**
     * Changes the named fields of an existing entity; a {@code null} value clears the field.
     *
     * @throws EntityNotFoundException the entity does not exist
     */
    void update(String type, long id, Map<String, ?> changes);

    /** Replaces all fields of an existing entity of the record's type with the record's values. */
    void update(long id, Record record);

    /**
     * Deletes an entity and applies the on-delete actions of the references to it, within this
     * transaction: CASCADE deletes the referring entities too (recursively, across types, each entity
     * once however the references cycle), SET_NULL clears the referring field, RESTRICT fails the
     * delete. Returns false when the entity did not exist.
     *
     * @throws ConstraintViolationException rule {@code restrict}: entities still refer to it (or to
     *         an entity the cascade reaches) through a RESTRICT reference; the exception names how
     *         many and which, and nothing of this delete was applied
     */
    boolean delete(String type, long id);

    /** Deletes an entity of the record class's type; returns false when it did not exist. */
    boolean delete(Class<? extends Record> recordClass, long id);

    /**
     * Commits: returns once the changes are durable under the configured durability mode and visible
     * to new snapshots. On any exception nothing of this transaction is acknowledged; a
     * {@link StorageException} also means the database moved to the failed state.
     *
     * @throws ConflictException another transaction committed a change to an entity this one wrote,
     *         or a new reference to an entity this one deletes with CASCADE or SET_NULL; retry
     * @throws ConstraintViolationException against the newest state, a unique value is taken, a
     *         referenced entity is gone, or an entity this one deletes gained a RESTRICT referrer
     */
    void commit();

    /**
     * The LSN of this transaction's commit: the {@link Entity#version() version} of every entity it
     * wrote, and the {@link Snapshot#lsn()} of the first snapshots that see it. A commit that wrote
     * nothing returns the LSN of the snapshot it read.
     *
     * @throws IllegalStateException before a successful {@link #commit()} (also after a rollback or
     *         a failed commit)
     */
    long committedLsn();

    /** Discards this transaction's changes. */
    void rollback();

    /** Rolls back unless committed. */
    @Override
    void close();
}
