package dev.keel.internal.store;

import dev.keel.internal.entity.Schema;

/**
 * An immutable, versioned view of all entities: what a snapshot reads, what a checkpoint writes.
 * Changes go through a {@link Batch}, which yields a new store and leaves this one untouched, so any
 * number of readers can keep old versions while writers move on. Values are encoded entities (see
 * {@code EntityCodec}); this interface knows nothing of their content.
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

        void schema(Schema schema);

        /** Raises the type's next id to at least {@code nextId}. */
        void reserveIds(int typeId, long nextId);

        /** The new store, at {@code lsn}. */
        Store apply(long lsn);
    }
}
