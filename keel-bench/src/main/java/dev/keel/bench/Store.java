package dev.keel.bench;

/**
 * An open database under test. Opened by its {@link StoreKind}; closing it closes every session.
 * Implementations are thread-safe; their sessions are not.
 */
public interface Store extends AutoCloseable {

    /** A new handle for one thread (a JDBC connection for SQLite, a buffer set for LMDB, ...). */
    Session session() throws Exception;

    /** Closes every session and the database; failures are unchecked. */
    @Override
    void close();

    /**
     * One thread's access to a store. Every write method commits durably under the store's
     * documented settings before it returns.
     */
    interface Session extends AutoCloseable {

        /** Stores {@code row} under {@code key} in a transaction of its own. */
        void insert(long key, Row row) throws Exception;

        /** Stores {@code Row.forKey(k)} for k in [firstKey, firstKey + count) in one transaction. */
        void insertBatch(long firstKey, int count) throws Exception;

        /** The row stored under {@code key}, or {@code null}. */
        Row read(long key) throws Exception;

        @Override
        void close();
    }
}
