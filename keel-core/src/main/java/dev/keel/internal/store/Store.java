package dev.keel.internal.store;

import dev.keel.internal.entity.Schema;
import dev.keel.internal.index.ByteKeyTree;

/**
 * An immutable, versioned view of all entities: what a snapshot reads, what a checkpoint writes.
 * Changes go through a {@link Batch}, which yields a new store and leaves this one untouched, so any
 * number of readers can keep old versions while writers move on. Values are encoded entities (see
 * {@code EntityCodec}); this interface knows nothing of their content.
 *
 * <p>Indexes: an {@link #indexed()} version also holds the entries of every secondary index of its
 * schema, changed by the same batch as the entities they describe, so every version (and so every
 * snapshot and every state after a crash) has exactly the index entries of its entities. Index
 * entries are never written to the log or to checkpoints: they are a function of the entities,
 * built in bulk once an open has recovered them ({@link #withIndexes()}) and kept up to date from
 * then on.
 *
 * <p>The first implementation ({@link MemStore}) keeps everything in memory; a page-based,
 * larger-than-memory store can replace it behind this interface without touching the log,
 * transaction or recovery code.
 */
public interface Store {

    /** LSN of the last commit applied (0 for the empty store). */
    long lsn();

    Schema schema();

    /** Encoded entity, or null. */
    byte[] get(int typeId, long id);

    long count(int typeId);

    /** The smallest id never used for the type in this store (ids are assigned ascending from 1). */
    long nextId(int typeId);

    /** Entities of a type with id at least {@code fromId}, ascending. */
    Cursor scan(int typeId, long fromId);

    /** Whether this version holds the entries of its schema's indexes (and batches on it maintain them). */
    boolean indexed();

    /**
     * The entries of index {@code indexId} of type {@code typeId}: keys as in {@code IndexKeys}, the
     * indexed values followed by the entity id.
     *
     * @throws IllegalStateException the store is not {@link #indexed()} or has no such index
     */
    ByteKeyTree index(int typeId, int indexId);

    /**
     * This version with every index of its schema built from its entities, in bulk.
     *
     * @throws dev.keel.ConstraintViolationException two entities share the values of a unique index
     *         (naming the type, fields, values and both ids)
     */
    Store withIndexes();

    /** Starts a batch of changes on top of this store. */
    Batch batch();

    /** Forward iteration over (id, encoded entity). */
    interface Cursor {
        boolean next();

        long id();

        byte[] value();
    }

    /** Accumulates changes; confined to one thread; {@link #apply} may be called once. */
    interface Batch {
        void put(int typeId, long id, byte[] value);

        /** Returns whether the entity existed. */
        boolean delete(int typeId, long id);

        /** The value as of this batch (its own changes included). */
        byte[] get(int typeId, long id);

        /** Replaces the schema; on an indexed store the indexes of the new schema are rebuilt at {@link #apply}. */
        void schema(Schema schema);

        /** Raises the type's next id to at least {@code nextId}. */
        void reserveIds(int typeId, long nextId);

        /** The new store, at {@code lsn}. */
        Store apply(long lsn);
    }
}
