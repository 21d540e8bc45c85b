package dev.keel.internal.tx;

/** What a transaction needs from the engine. */
public interface TxContext {

    /** A new, never-used id for an entity of the type. */
    long allocateId(int typeId);

    /** Makes sure {@link #allocateId} never returns {@code id} or anything below it for the type. */
    void reserveId(int typeId, long id);

    /** Validates, logs and publishes the transaction; returns its commit LSN. */
    long commit(TransactionImpl tx);

    /** The latest published store version (newer than a transaction's snapshot when others committed since). */
    dev.keel.internal.store.Store latest();

    /** Throws if the database cannot accept writes (closed, failed, read-only). */
    void checkWritable();
}
