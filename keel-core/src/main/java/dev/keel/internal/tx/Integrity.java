package dev.keel.internal.tx;

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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;

/**
 * The integrity rules a transaction applies as it writes, against its own view (its begin
 * snapshot plus its own writes): a reference must point at an existing entity of its target type;
 * a unique value must not be taken by an entity the snapshot shows (the final word on both is the
 * engine's check at commit, against the newest state, which also catches what concurrent
 * transactions did); and a delete must resolve what it does to the entities referring to it.
 *
 * <p>Deletes: {@link #planDelete} walks the referrers breadth first across types: CASCADE adds the
 * referrer to the entities to delete (each entity once, so cycles end), SET_NULL records the
 * referrer's field to clear, RESTRICT records a blocker. Blockers that the same delete removes do
 * not count; any other blocker fails the delete, naming how many and which entities refer, before
 * anything of it is applied, so a failed delete leaves the transaction as it was.
 */
final class Integrity {
    /** How many referring entities an error names. */
    static final int NAMED = 10;

    /** A delete resolved: entities to delete (the requested one first) and fields to clear. */
    record DeletePlan(List<Target> deletes, List<Clear> clears) {
    }

    record Target(StoredType type, long id) {
    }

    record Clear(StoredType type, long id, String field) {
    }

    private final TransactionImpl tx;
    /** See {@link #ownReferences}; keyed by {@link #refKey}. */
    private final Map<Long, Map<Long, Set<Long>>> ownRefs = new java.util.HashMap<>();

    Integrity(TransactionImpl tx) {
        this.tx = tx;
    }

    /** Checks the references and unique values of entity {@code id} about to be written as {@code encoded}. */
    void checkWrite(StoredType t, long id, byte[] encoded) {
        Object[] slots = null;
        for (int i = 0; i < t.fields().size(); i++) {
            if (t.fields().get(i).type() != FieldType.REFERENCE) {
                continue;
            }
            slots = slots != null ? slots : EntityCodec.slots(t, encoded);
            if (slots[i] == null) {
                continue;
            }
            String target = t.fields().get(i).target();
            StoredType targetType = tx.schema().byName(target);
            long ref = (Long) slots[i];
            if (targetType == null || tx.current(targetType, ref) == null) {
                if (targetType != null && !tx.ownsWrite(targetType, ref) && tx.latest().get(targetType.typeId(), ref) != null) {
                    throw new ConflictException(target + "#" + ref + " was inserted by a transaction that committed"
                            + " after this one began, so this transaction cannot see it; retry the transaction",
                            tx.latest().lsn());
                }
                throw new ConstraintViolationException(t.name(), t.fields().get(i).name(), ref, "reference",
                        "no " + target + "#" + ref + " exists; insert it first (in this transaction or an earlier one)");
            }
        }
        Store base = tx.base();
        if (!base.indexed()) {
            return;
        }
        for (StoredIndex ix : t.indexes()) {
            if (!ix.unique()) {
                continue;
            }
            slots = slots != null ? slots : EntityCodec.slots(t, encoded);
            if (!IndexEntries.complete(ix, slots)) {
                continue;
            }
            byte[] prefix = IndexKeys.valuesOf(IndexEntries.key(ix, id, slots));
            for (long other : IndexScan.ids(base.index(t.typeId(), ix.indexId()), prefix, 2)) {
                if (other != id && !tx.ownsWrite(t, other)) {
                    if (tx.latest().get(t.typeId(), other) != base.get(t.typeId(), other)) {
                        throw new ConflictException(t.name() + "#" + other + ", which had this " + ix.name() + " value"
                                + " when this transaction began, was changed by a transaction that committed since;"
                                + " retry the transaction", tx.latest().lsn());
                    }
                    Object[] values = ix.values(slots);
                    throw new ConstraintViolationException(t.name(), String.join(",", ix.index().fields()),
                            values.length == 1 ? values[0] : List.of(values), "unique", "already taken by " + t.name()
                            + "#" + other + " (unique index " + ix.name() + ")", List.of(other));
                }
            }
        }
    }

    /** A RESTRICT reference field and the entity being deleted that it blocks. */
    private record Blocker(Schema.Referrer referrer, Target victim) {
    }

    /** Resolves the referential actions of deleting {@code t#id}; throws for a RESTRICT that blocks it. */
    DeletePlan planDelete(StoredType t, long id) {
        Map<Target, Boolean> deletes = new LinkedHashMap<>();
        List<Clear> clears = new ArrayList<>();
        Map<Blocker, Set<Long>> blockers = new LinkedHashMap<>();
        ArrayDeque<Target> queue = new ArrayDeque<>();
        Target first = new Target(t, id);
        deletes.put(first, true);
        queue.add(first);
        while (!queue.isEmpty()) {
            Target victim = queue.poll();
            for (Schema.Referrer r : tx.schema().referrersOf(victim.type().name())) {
                for (long rid : referrers(r, victim.id())) {
                    Target referrer = new Target(r.type(), rid);
                    OnDelete action = r.declaration().onDeleteAction();
                    if (action == OnDelete.CASCADE) {
                        if (deletes.putIfAbsent(referrer, true) == null) {
                            queue.add(referrer);
                        }
                    } else if (action == OnDelete.SET_NULL) {
                        clears.add(new Clear(r.type(), rid, r.declaration().name()));
                    } else {
                        blockers.computeIfAbsent(new Blocker(r, victim), k -> new LinkedHashSet<>()).add(rid);
                    }
                }
            }
        }
        for (Map.Entry<Blocker, Set<Long>> b : blockers.entrySet()) {
            StoredType type = b.getKey().referrer().type();
            String field = b.getKey().referrer().declaration().name();
            Target victim = b.getKey().victim();
            Set<Long> ids = b.getValue();
            ids.removeIf(rid -> deletes.containsKey(new Target(type, rid)));
            if (!ids.isEmpty()) {
                List<Long> named = ids.stream().limit(NAMED).toList();
                throw new ConstraintViolationException(type.name(), field, victim.id(), "restrict", "cannot delete "
                        + victim.type().name() + "#" + victim.id() + (victim.equals(first) ? "" : " (reached by"
                        + " cascading the delete of " + t.name() + "#" + id + ")") + ": " + ids.size() + " "
                        + type.name() + " entit" + (ids.size() == 1 ? "y refers" : "ies refer") + " to it through "
                        + type.name() + "." + field + " (ON DELETE RESTRICT): "
                        + named.stream().map(x -> type.name() + "#" + x).toList()
                        + (ids.size() > NAMED ? " and " + (ids.size() - NAMED) + " more" : "")
                        + "; delete them or change their " + field + " first", named);
            }
        }
        clears.removeIf(c -> deletes.containsKey(new Target(c.type(), c.id())));
        return new DeletePlan(List.copyOf(deletes.keySet()), clears);
    }

    /** The ids of the entities of {@code r.type()} whose field {@code r} holds {@code target}, in this transaction's view. */
    private Set<Long> referrers(Schema.Referrer r, long target) {
        Set<Long> ids = new LinkedHashSet<>();
        StoredType t = r.type();
        Store base = tx.base();
        if (base.indexed()) {
            byte[] prefix = IndexKeys.prefix(new FieldType[] {FieldType.REFERENCE}, new Object[] {target});
            for (long rid : IndexScan.ids(base.index(t.typeId(), r.index().indexId()), prefix, Integer.MAX_VALUE)) {
                if (!tx.ownsWrite(t, rid)) {
                    ids.add(rid);
                }
            }
        } else {
            Store.Cursor c = base.scan(t.typeId(), Long.MIN_VALUE);
            while (c.next()) {
                if (!tx.ownsWrite(t, c.id()) && Objects.equals(EntityCodec.slots(t, c.value())[r.field()], target)) {
                    ids.add(c.id());
                }
            }
        }
        ids.addAll(ownReferences(t, r.field()).getOrDefault(target, Set.of()));
        return ids;
    }

    /**
     * For reference field {@code field} of {@code t}: target id to the ids of this transaction's own
     * written entities that refer to it. Built from the own writes the first time it is needed, then
     * kept current by {@link #written}, so many deletes in one transaction stay linear.
     */
    private Map<Long, Set<Long>> ownReferences(StoredType t, int field) {
        return ownRefs.computeIfAbsent(refKey(t, field), k -> {
            Map<Long, Set<Long>> m = new java.util.HashMap<>();
            NavigableMap<Long, TransactionImpl.Write> own = tx.writes().get(t.typeId());
            if (own != null) {
                for (TransactionImpl.Write w : own.values()) {
                    if (w.value() != null && EntityCodec.slots(t, w.value())[field] instanceof Long target) {
                        m.computeIfAbsent(target, x -> new LinkedHashSet<>()).add(w.id());
                    }
                }
            }
            return m;
        });
    }

    private static long refKey(StoredType t, int field) {
        return ((long) t.typeId() << 32) | field;
    }

    /** The transaction's own version of entity {@code id} changed from {@code before} to {@code after} (null: none). */
    void written(StoredType t, long id, byte[] before, byte[] after) {
        if (ownRefs.isEmpty()) {
            return;
        }
        Object[] was = null;
        Object[] now = null;
        for (int i = 0; i < t.fields().size(); i++) {
            Map<Long, Set<Long>> m = ownRefs.get(refKey(t, i));
            if (m == null) {
                continue;
            }
            was = was != null || before == null ? was : EntityCodec.slots(t, before);
            now = now != null || after == null ? now : EntityCodec.slots(t, after);
            if (was != null && was[i] instanceof Long old) {
                Set<Long> ids = m.get(old);
                if (ids != null) {
                    ids.remove(id);
                }
            }
            if (now != null && now[i] instanceof Long target) {
                m.computeIfAbsent(target, x -> new LinkedHashSet<>()).add(id);
            }
        }
    }
}
