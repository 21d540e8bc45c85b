package dev.keel;

import java.util.Optional;
import java.util.stream.Stream;

/**
 * A consistent, immutable view of the database as of one commit. Readers never block writers and
 * are never blocked by them. A snapshot holds no locks and needs no closing; it keeps the entities
 * it can see reachable in memory for as long as it is referenced. Thread-safe.
 */
public interface Snapshot {

    /** The log sequence number of the last commit this snapshot sees (0 for an empty database). */
    long lsn();

    /** The entity of {@code type} with {@code id}, if it exists in this snapshot. */
    Optional<Entity> get(String type, long id);

    /** The entity with {@code id}, mapped to the record class it was declared with. */
    <R extends Record> Optional<R> get(Class<R> recordClass, long id);

    /** Entities of {@code type} in ascending id order. The stream is lazy and needs no closing. */
    Stream<Entity> scan(String type);

    /** Entities of {@code type} with id at least {@code fromId}, in ascending id order. */
    Stream<Entity> scan(String type, long fromId);

    /** Entities of the record's type, mapped to records, in ascending id order. */
    <R extends Record> Stream<R> scan(Class<R> recordClass);

    /** Number of entities of {@code type}. */
    long count(String type);

    /**
     * The entities that match {@code query}, in its order, up to its limit. An index answers it
     * when one fits (equality on its leading fields, then a range, prefix or order on the next);
     * otherwise every entity of the type is read and filtered; {@link #explain} says which. In a
     * transaction the results include its own writes. The stream is lazy when no sort is needed.
     *
     * @throws IllegalArgumentException an unknown type or field, or a value that does not fit the
     *         field's type (e.g. a prefix on a non-TEXT field)
     */
    Stream<Entity> query(Query query);

    /** How {@link #query} would run {@code query}: the index it reads or a scan, filters, sorting. */
    QueryPlan explain(Query query);
}
