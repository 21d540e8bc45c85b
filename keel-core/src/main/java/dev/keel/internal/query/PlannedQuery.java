package dev.keel.internal.query;

import dev.keel.Entity;
import dev.keel.FieldType;
import dev.keel.Query;
import dev.keel.Query.Condition;
import dev.keel.QueryPlan;
import dev.keel.internal.entity.StoredIndex;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.entity.Values;
import java.util.Comparator;
import java.util.List;

/**
 * A query planned for one stored type: conditions with values coerced to their fields, and either
 * an index with the key range {@code [lo, hi)} to read ({@code hi == null}: to the end) or a scan.
 *
 * @param equalities how many leading index fields the conditions bind by equality
 * @param orderPos position of the order field in the type, or -1
 * @param sorted whether results must be sorted after reading
 */
public record PlannedQuery(StoredType type, Query query, List<Condition> conditions, StoredIndex index, int equalities,
        byte[] lo, byte[] hi, int orderPos, boolean sorted) {

    /** Whether the entity meets every condition. */
    boolean matches(Entity e) {
        for (Condition c : conditions) {
            Object v = e.get(c.field());
            if (v == null) {
                return false;
            }
            FieldType ft = type.fields().get(type.indexOf(c.field())).type();
            boolean ok = switch (c.op()) {
                case EQ -> Values.equal(v, c.value());
                case GT -> ValueOrder.compare(ft, v, c.value()) > 0;
                case GTE -> ValueOrder.compare(ft, v, c.value()) >= 0;
                case LT -> ValueOrder.compare(ft, v, c.value()) < 0;
                case LTE -> ValueOrder.compare(ft, v, c.value()) <= 0;
                case STARTS_WITH -> ((String) v).startsWith((String) c.value());
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The order results come in: by the order field then id (reversed when descending) if there is
     * one; else the index's fields then id; else id.
     */
    Comparator<Entity> order() {
        Comparator<Entity> c;
        if (orderPos >= 0) {
            FieldType ft = type.fields().get(orderPos).type();
            String field = type.fields().get(orderPos).name();
            c = (a, b) -> ValueOrder.compare(ft, a.get(field), b.get(field));
            c = c.thenComparingLong(Entity::id);
            return query.descending() ? c.reversed() : c;
        }
        if (index != null) {
            c = (a, b) -> 0;
            for (int i = 0; i < index.positions().length; i++) {
                FieldType ft = index.types()[i];
                String field = index.index().fields().get(i);
                c = c.thenComparing((a, b) -> ValueOrder.compare(ft, a.get(field), b.get(field)));
            }
            return c.thenComparingLong(Entity::id);
        }
        return Comparator.comparingLong(Entity::id);
    }

    /** Whether the index is read from its end (a descending order it provides). */
    boolean readsBackwards() {
        return index != null && !sorted && orderPos >= 0 && query.descending();
    }

    public QueryPlan describe() {
        return QueryPlanner.describe(this);
    }
}
