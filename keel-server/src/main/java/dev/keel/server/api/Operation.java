package dev.keel.server.api;

import dev.keel.Entity;
import dev.keel.EntityNotFoundException;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.Transaction;
import dev.keel.server.ApiException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entity write or read, validated against its type before any transaction starts, and applied
 * to a transaction by {@link #apply}. The single-entity endpoints run one; {@code POST
 * /v1/transactions} runs a list in one transaction. Failures are the same exceptions either way, so
 * both answer the same problem (404 {@code entity-not-found}, 412 {@code version-mismatch}, 409, 422).
 */
sealed interface Operation {

    /** What an operation did: the HTTP status it stands for and the entity after it (none for a delete). */
    record Outcome(int status, Entity entity) {
    }

    EntityType type();

    /** Applies this operation to {@code tx}; runs again if the transaction is retried after a conflict. */
    Outcome apply(Transaction tx);

    /** Inserts an entity, under {@code id} when given (else the database assigns one). */
    record Insert(EntityType type, Long id, Map<String, Object> values) implements Operation {
        @Override
        public Outcome apply(Transaction tx) {
            // JSON null means no value: on insert that is an absent field, which takes its default.
            Map<String, Object> present = new LinkedHashMap<>();
            values.forEach((k, v) -> {
                if (v != null) {
                    present.put(k, v);
                }
            });
            long assigned;
            if (id != null) {
                assigned = tx.insert(type.name(), id, present);
            } else {
                try {
                    assigned = tx.insert(type.name(), present);
                } catch (IllegalStateException e) {
                    // The core's only IllegalStateException here: an explicit id at the top of the
                    // range left no id to assign. A client caused it, so not a 500.
                    throw new ApiException(409, "ids-exhausted", "Ids exhausted", e.getMessage() + "; insert with an"
                            + " explicit \"id\"").with("entityType", type.name());
                }
            }
            return new Outcome(201, read(tx, type, assigned));
        }
    }

    /** Replaces every value of an existing entity: fields not given are cleared. */
    record Replace(EntityType type, long id, Map<String, Object> values, VersionMatch ifMatch) implements Operation {
        @Override
        public Outcome apply(Transaction tx) {
            check(tx, type, id, ifMatch);
            Map<String, Object> all = new HashMap<>();
            for (Field f : type.fields()) {
                all.put(f.name(), values.get(f.name()));
            }
            tx.update(type.name(), id, all);
            return new Outcome(200, read(tx, type, id));
        }
    }

    /** Changes the given values of an existing entity; null clears a field. */
    record Update(EntityType type, long id, Map<String, Object> values, VersionMatch ifMatch) implements Operation {
        @Override
        public Outcome apply(Transaction tx) {
            check(tx, type, id, ifMatch);
            if (!values.isEmpty()) {
                tx.update(type.name(), id, values);
            }
            return new Outcome(200, read(tx, type, id));
        }
    }

    /** Deletes an existing entity, applying the on-delete actions of references to it. */
    record Delete(EntityType type, long id, VersionMatch ifMatch) implements Operation {
        @Override
        public Outcome apply(Transaction tx) {
            check(tx, type, id, ifMatch);
            tx.delete(type.name(), id);
            return new Outcome(204, null);
        }
    }

    /** Reads an entity (in a transaction: including the transaction's own writes). */
    record Get(EntityType type, long id) implements Operation {
        @Override
        public Outcome apply(Transaction tx) {
            return new Outcome(200, read(tx, type, id));
        }
    }

    private static Entity read(Transaction tx, EntityType type, long id) {
        return tx.get(type.name(), id).orElseThrow(() -> new EntityNotFoundException(type.name(), id));
    }

    /**
     * The entity must exist (404) and, when {@code ifMatch} is given, have a matching version (412),
     * read in the writing transaction: a concurrent commit to the entity after this read makes the
     * commit conflict, and the retried transaction reads the new version.
     */
    private static void check(Transaction tx, EntityType type, long id, VersionMatch ifMatch) {
        Entity current = read(tx, type, id);
        if (ifMatch != null && !ifMatch.matches(current.version())) {
            throw versionMismatch(type, id, current.version(), ifMatch);
        }
    }

    private static ApiException versionMismatch(EntityType type, long id, long current, VersionMatch expected) {
        ApiException a = new ApiException(412, "version-mismatch", "Version mismatch", type.name() + " " + id
                + (current == 0 ? " was written earlier in this transaction (its version is the commit's)"
                        : " has version " + current) + ", not " + (expected.versions().size() == 1
                        ? expected.versions().iterator().next() : "one of " + expected.versions())
                + "; it changed since it was read. Read it again (GET) and retry with the new version");
        a.with("currentVersion", current == 0 ? null : current);
        if (current != 0) {
            a.header("ETag", VersionMatch.etag(current));
        }
        return a;
    }
}
