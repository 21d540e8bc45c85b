package dev.keel.internal.engine;

import dev.keel.ConflictException;
import dev.keel.ConstraintViolationException;
import dev.keel.FieldType;
import dev.keel.OnDelete;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.StoredIndex;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.index.IndexEntries;
import dev.keel.internal.index.IndexKeys;
import dev.keel.internal.index.IndexScan;
import dev.keel.internal.store.Store;
import dev.keel.internal.tx.TransactionImpl;
import java.util.List;
import java.util.NavigableMap;

/**
 * The checks of a commit: first, the version check (first committer wins, {@link #checkVersions});
 * then the integrity check, run under the commit lock on the store version the commit would
 * produce (the newest state plus this transaction), before anything is logged: every unique value
 * written is held by this entity only, every reference written points at an existing entity, and
 * no entity deleted is still referred to. A transaction already checked this against its own
 * snapshot; what fails here was done by a transaction that committed after it began. A taken
 * unique value, a missing target and a RESTRICT referrer are constraint violations (retrying would
 * fail the same way at write time); a new CASCADE or SET_NULL referrer is a conflict (a retry
 * applies the action to it).
 */
final class CommitChecks {
    private CommitChecks() {
    }

    /**
     * First committer wins: every entity {@code tx} writes still has, in {@code head} (the newest
     * state, before this commit), the version the transaction saw; an entity it inserted under a new
     * id was not inserted meanwhile under that id explicitly. Else a retryable conflict.
     */
    static void checkVersions(TransactionImpl tx, Store head) {
        for (NavigableMap<Long, TransactionImpl.Write> byId : tx.writes().values()) {
            for (TransactionImpl.Write w : byId.values()) {
                byte[] now = head.get(w.type().typeId(), w.id());
                if (w.fresh()) {
                    if (now != null) {
                        // Only possible when another transaction inserted this id explicitly.
                        throw new ConflictException(w.type().name() + "#" + w.id() + " was inserted with an explicit id"
                                + " by a transaction that committed after this one began; nothing was written, retry"
                                + " the transaction", head.lsn());
                    }
                    continue;
                }
                long version = now == null ? 0 : EntityCodec.version(now);
                if (version != w.seenVersion()) {
                    throw new ConflictException(w.type().name() + "#" + w.id() + " was " + (now == null ? "deleted"
                            : "changed (version " + w.seenVersion() + " -> " + version + ")") + " by a transaction"
                            + " that committed after this one began; nothing was written, retry the transaction",
                            head.lsn());
                }
            }
        }
    }

    /**
     * Checks every write of {@code tx}, with the types of {@code next}'s schema: a transaction that
     * began before {@link OnlineIndexBuild} added a unique index is checked against that index too.
     */
    static void check(TransactionImpl tx, Store next) {
        Schema schema = next.schema();
        for (NavigableMap<Long, TransactionImpl.Write> byId : tx.writes().values()) {
            for (TransactionImpl.Write w : byId.values()) {
                StoredType now = schema.byId(w.type().typeId());
                checkChange(next, now != null ? now : w.type(), w.id(), w.value());
            }
        }
    }

    /** Checks one change of the commit: entity {@code id} of {@code t} now {@code value} (null: deleted). */
    static void checkChange(Store next, StoredType t, long id, byte[] value) {
        Schema schema = next.schema();
        if (value == null) {
            checkNoReferrers(schema, next, t, id);
        } else if (t.hasUniqueOrReference()) {
            checkWritten(schema, next, t, id, EntityCodec.slots(t, value));
        }
    }

    private static void checkWritten(Schema schema, Store next, StoredType t, long id, Object[] slots) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null && t.fields().get(i).type() == FieldType.REFERENCE) {
                StoredType target = schema.byName(t.fields().get(i).target());
                if (target == null || next.get(target.typeId(), (Long) slots[i]) == null) {
                    throw new ConstraintViolationException(t.name(), t.fields().get(i).name(), slots[i], "reference",
                            "no " + t.fields().get(i).target() + "#" + slots[i] + " exists: a transaction that committed"
                            + " after this one began deleted it; nothing was written");
                }
            }
        }
        for (StoredIndex ix : t.indexes()) {
            if (!ix.unique() || !IndexEntries.complete(ix, slots)) {
                continue;
            }
            byte[] prefix = IndexKeys.valuesOf(IndexEntries.key(ix, id, slots));
            for (long other : IndexScan.ids(next.index(t.typeId(), ix.indexId()), prefix, 2)) {
                if (other != id) {
                    Object[] values = ix.values(slots);
                    throw new ConstraintViolationException(t.name(), String.join(",", ix.index().fields()),
                            values.length == 1 ? values[0] : List.of(values), "unique", "already taken by " + t.name()
                            + "#" + other + " (unique index " + ix.name() + "); nothing was written", List.of(other));
                }
            }
        }
    }

    private static void checkNoReferrers(Schema schema, Store next, StoredType t, long id) {
        for (Schema.Referrer r : schema.referrersOf(t.name())) {
            byte[] prefix = IndexKeys.prefix(new FieldType[] {FieldType.REFERENCE}, new Object[] {id});
            List<Long> ids = IndexScan.ids(next.index(r.type().typeId(), r.index().indexId()), prefix, 10);
            if (ids.isEmpty()) {
                continue;
            }
            String via = r.type().name() + "." + r.declaration().name();
            if (r.declaration().onDeleteAction() == OnDelete.RESTRICT) {
                throw new ConstraintViolationException(r.type().name(), r.declaration().name(), id, "restrict",
                        "cannot delete " + t.name() + "#" + id + ": " + ids.stream().map(x -> r.type().name() + "#" + x)
                        .toList() + " refer to it through " + via + " (ON DELETE RESTRICT), written by a transaction"
                        + " that committed after this one began; nothing was written", ids);
            }
            throw new ConflictException(t.name() + "#" + id + " gained referrers through " + via + " ("
                    + ids.stream().map(x -> r.type().name() + "#" + x).toList() + ") from a transaction that committed"
                    + " after this one began; nothing was written, retry the transaction", next.lsn());
        }
    }
}
