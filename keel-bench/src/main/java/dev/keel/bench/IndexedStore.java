package dev.keel.bench;

import java.util.List;

/**
 * A store of {@link IndexedRow}s with 0, 1 ({@code k}) or 3 ({@code k}, {@code name}, {@code age})
 * secondary indexes, for {@link IndexBenchmark}; KeelDB and SQLite implement it. Not thread-safe:
 * one thread uses it. Every write method commits durably under the store's settings (those of its
 * {@link StoreKind}) before it returns. Queries return whole rows with the store's own id.
 */
interface IndexedStore extends AutoCloseable {
    /** Secondary index names, in the order they are added: 1 index = the first, 3 = all. */
    List<String> INDEX_FIELDS = List.of("k", "name", "age");

    /** One result row: the store's id for it and its fields. */
    record Hit(long id, IndexedRow row) {
    }

    /** Stores {@code IndexedRow.forKey(key, loaded)} for keys [firstKey, firstKey + count) in one transaction. */
    void insertBatch(long firstKey, int count) throws Exception;

    /** Stores the row of {@code key} in a transaction of its own. */
    void insert(long key) throws Exception;

    /** The row stored under {@code key}, by id; null if none. */
    Hit get(long key) throws Exception;

    /** {@code k = value}, in id order. */
    List<Hit> byK(long value) throws Exception;

    /** {@code from <= k < to} in order of k (then id). */
    List<Hit> kRange(long from, long to) throws Exception;

    /** {@code name >= from} in order of name, at most {@code limit}. */
    List<Hit> nameFrom(String from, int limit) throws Exception;

    /**
     * The plans of the three queries, one line each; throws {@link IllegalStateException} if one of
     * them would not read its index (or would sort), so a benchmark never times a scan by mistake.
     */
    List<String> checkPlans() throws Exception;

    /** The id this store gave the row of {@code key} (SQLite: the key itself; KeelDB: assigned). */
    long idOf(long key);

    @Override
    void close();
}
