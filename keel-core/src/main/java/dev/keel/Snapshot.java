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
}
