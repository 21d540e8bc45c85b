package dev.keel.internal.engine;

import dev.keel.ConstraintViolationException;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.Index;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.StoredIndex;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.entity.SystemTypes;
import dev.keel.internal.store.Store;
import java.util.ArrayList;
import java.util.List;

/**
 * Adding an index to a populated type while the database serves reads and writes
 * ({@link dev.keel.KeelDb#createIndex}).
 *
 * <p>Ordering: (1) the new schema (the type with one more index, a new index id, version + 1) is
 * derived from the published version; (2) outside the commit lock, every index of that schema is
 * built from the published version's entities, which is the long part, while commits go on; (3)
 * under the commit lock, the build catches up with the commits since: the entities of every type
 * are compared, by identity of their encoded bytes (an unchanged entity keeps its array), between
 * the version built from and the head, and each difference is applied to the built version as a
 * put or delete, which maintains its indexes; then a unique index is checked for the changed
 * entities; (4) still under the lock, the new schema is appended as a SCHEMA record and synced,
 * and the caught-up version becomes the head and is published. Commits wait only for steps 3–4.
 *
 * <p>Durability: the SCHEMA record is the commit point, as for a migration at open: after a crash
 * before it the index does not exist; after it the next open builds it from the data (indexes are
 * never stored). The declaration in code stays the source of truth: an index created here that the
 * declared types do not have is dropped by the next open's migration, so declare it too.
 */
final class OnlineIndexBuild {
    private OnlineIndexBuild() {
    }

    /** The schema with {@code index} added to {@code typeName}, or null when an equal index exists. */
    static Schema plan(Schema schema, String typeName, Index index) {
        StoredType t = schema.byName(typeName);
        if (t == null) {
            throw new IllegalArgumentException("unknown entity type '" + typeName + "'; stored types are "
                    + schema.types().stream().map(StoredType::name).toList());
        }
        if (SystemTypes.isSystem(t.name())) {
            throw new IllegalArgumentException("entity type " + typeName + " is a system type; its indexes are"
                    + " KeelDB's and cannot be changed");
        }
        for (StoredIndex ix : t.indexes()) {
            if (ix.index().equals(index)) {
                return null;
            }
            if (ix.name().equals(index.name())) {
                throw new IllegalArgumentException("entity type " + typeName + " already has an index named "
                        + index.name() + " (" + ix.index() + "); name the new one differently with Index.named");
            }
        }
        EntityType.Builder b = EntityType.builder(t.name());
        for (Field f : t.fields()) {
            b.field(f);
        }
        for (StoredIndex ix : t.indexes()) {
            b.index(ix.index());
        }
        b.index(index);
        EntityType type = b.build();
        int[] fieldIds = new int[t.fields().size()];
        for (int i = 0; i < fieldIds.length; i++) {
            fieldIds[i] = t.fieldId(i);
        }
        int[] indexIds = new int[type.indexes().size()];
        for (int k = 0; k < t.indexes().size(); k++) {
            indexIds[k] = t.indexes().get(k).indexId();
        }
        indexIds[indexIds.length - 1] = t.nextIndexId();
        return schema.withType(new StoredType(t.typeId(), type, fieldIds, indexIds, t.nextFieldId(), t.nextIndexId() + 1));
    }

    /**
     * Step 2: the version {@code from} under {@code target}, with all its indexes built.
     *
     * @throws ConstraintViolationException the entities break the new unique index
     */
    static Store build(Store from, Schema target) {
        Store.Batch b = from.batch();
        b.schema(target);
        Store s = b.apply(from.lsn());
        return s.indexed() ? s : s.withIndexes();
    }

    /** Step 3: {@code built} brought to the contents of {@code head} (at {@code lsn}), with the new index checked. */
    static Store catchUp(Store built, Store from, Store head, long lsn, String typeName) {
        Store.Batch b = built.batch();
        List<long[]> changed = new ArrayList<>();
        StoredType indexed = built.schema().byName(typeName);
        for (StoredType t : head.schema().types()) {
            Store.Cursor was = from.scan(t.typeId(), Long.MIN_VALUE);
            Store.Cursor now = head.scan(t.typeId(), Long.MIN_VALUE);
            boolean w = was.next();
            boolean n = now.next();
            while (w || n) {
                if (n && (!w || now.id() < was.id())) {
                    b.put(t.typeId(), now.id(), now.value());
                    changed.add(new long[] {t.typeId(), now.id()});
                    n = now.next();
                } else if (w && (!n || was.id() < now.id())) {
                    b.delete(t.typeId(), was.id());
                    w = was.next();
                } else {
                    if (was.value() != now.value()) {
                        b.put(t.typeId(), now.id(), now.value());
                        changed.add(new long[] {t.typeId(), now.id()});
                    }
                    w = was.next();
                    n = now.next();
                }
            }
            b.reserveIds(t.typeId(), head.nextId(t.typeId()));
        }
        Store next = b.apply(lsn);
        for (long[] c : changed) {
            if (c[0] == indexed.typeId()) {
                CommitChecks.checkChange(next, indexed, c[1], next.get(indexed.typeId(), c[1]));
            }
        }
        return next;
    }
}
