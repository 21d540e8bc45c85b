package dev.keel.internal.query;

import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Query;
import dev.keel.Query.Condition;
import dev.keel.Query.Op;
import dev.keel.QueryPlan;
import dev.keel.internal.entity.StoredIndex;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.entity.Values;
import dev.keel.internal.index.IndexKeys;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Chooses how a {@link Query} runs: which index, if any, bounds the read, and whether the results
 * must be sorted.
 *
 * <p>An index fits a query by its leading fields: the first {@code k} of them have an equality
 * condition, and the next one may have a range ({@code gt/gte/lt/lte}, combined to the tightest
 * bounds) or a prefix, or be the order field. Each index is scored (equalities count most, then a
 * range, then a provided order, then a unique index fully bound by equalities) and the best wins,
 * the first declared on a tie; with no equality, range or order to use, the type is scanned. Every
 * condition is checked again on each entity read, so the index only narrows the read and never
 * decides a result on its own.
 *
 * <p>Order: the index provides the requested order when the order field is the index field right
 * after the equalities and no index field follows it (ties in an index are in id order), or when
 * every index field is bound by an equality and the order field is one of them; otherwise the results are sorted by the order field
 * and then id. Without an order field, results come in the plan's natural order: index order, or id
 * order for a scan.
 */
public final class QueryPlanner {
    private QueryPlanner() {
    }

    /**
     * @throws IllegalArgumentException an unknown field, a value that does not fit its field, a
     *         prefix on a non-TEXT field, a condition or order on a VECTOR field
     */
    public static PlannedQuery plan(StoredType t, Query q) {
        return plan(t, q, true);
    }

    /** Like {@link #plan(StoredType, Query)}; without {@code useIndexes} (a store version that has none) it scans. */
    public static PlannedQuery plan(StoredType t, Query q, boolean useIndexes) {
        List<Condition> conditions = new ArrayList<>();
        for (Condition c : q.conditions()) {
            conditions.add(normalize(t, c));
        }
        int orderPos = -1;
        if (q.orderField() != null) {
            orderPos = position(t, q.orderField(), "order field");
            if (t.fields().get(orderPos).type() == FieldType.VECTOR) {
                throw new IllegalArgumentException("cannot order " + t.name() + " by the VECTOR field " + q.orderField());
            }
        }
        StoredIndex best = null;
        int bestScore = 0;
        int bestEqualities = 0;
        for (StoredIndex ix : useIndexes ? t.indexes() : List.<StoredIndex>of()) {
            int k = equalities(ix, conditions);
            boolean range = k < ix.positions().length && hasRange(conditions, ix.index().fields().get(k));
            boolean order = providesOrder(ix, k, q.orderField());
            boolean point = ix.unique() && k == ix.positions().length;
            int score = k * 8 + (range ? 4 : 0) + (order && q.orderField() != null ? 2 : 0) + (point ? 1 : 0);
            if (score > bestScore) {
                best = ix;
                bestScore = score;
                bestEqualities = k;
            }
        }
        boolean sorted = q.orderField() != null && (best == null ? true : !providesOrder(best, bestEqualities, q.orderField()));
        return best == null
                ? new PlannedQuery(t, q, conditions, null, 0, null, null, orderPos, sorted)
                : bounded(t, q, conditions, best, bestEqualities, orderPos, sorted);
    }

    private static PlannedQuery bounded(StoredType t, Query q, List<Condition> conditions, StoredIndex ix, int k,
            int orderPos, boolean sorted) {
        FieldType[] types = ix.types();
        Object[] eq = new Object[k];
        for (int i = 0; i < k; i++) {
            eq[i] = first(conditions, ix.index().fields().get(i), Op.EQ).value();
        }
        byte[] lo = IndexKeys.prefix(types, eq);
        byte[] hi = IndexKeys.successor(lo);
        if (k < types.length) {
            String field = ix.index().fields().get(k);
            FieldType type = types[k];
            Object lower = null;
            boolean lowerInclusive = true;
            Object upper = null;
            boolean upperInclusive = true;
            String prefix = null;
            for (Condition c : conditions) {
                if (!c.field().equals(field)) {
                    continue;
                }
                switch (c.op()) {
                    case GT, GTE -> {
                        int cmp = lower == null ? 1 : ValueOrder.compare(type, c.value(), lower);
                        if (cmp > 0 || (cmp == 0 && c.op() == Op.GT)) {
                            lower = c.value();
                            lowerInclusive = c.op() == Op.GTE;
                        }
                    }
                    case LT, LTE -> {
                        int cmp = upper == null ? -1 : ValueOrder.compare(type, c.value(), upper);
                        if (cmp < 0 || (cmp == 0 && c.op() == Op.LT)) {
                            upper = c.value();
                            upperInclusive = c.op() == Op.LTE;
                        }
                    }
                    case STARTS_WITH -> prefix = prefix == null || ((String) c.value()).length() > prefix.length()
                            ? (String) c.value() : prefix;
                    default -> {
                    }
                }
            }
            FieldType[] upTo = Arrays.copyOf(types, k + 1);
            if (prefix != null) {
                // A prefix cut inside a surrogate pair has no UTF-8 byte prefix: bound by the whole code
                // points before it (the filter checks the real prefix).
                if (!prefix.isEmpty() && Character.isHighSurrogate(prefix.charAt(prefix.length() - 1))) {
                    prefix = prefix.substring(0, prefix.length() - 1);
                }
                byte[] p = IndexKeys.textPrefix(upTo, eq, prefix);
                lo = max(lo, p);
                hi = min(hi, IndexKeys.successor(p));
            }
            if (lower != null) {
                byte[] b = IndexKeys.prefix(upTo, append(eq, lower));
                lo = max(lo, lowerInclusive ? b : IndexKeys.successor(b));
            }
            if (upper != null) {
                byte[] b = IndexKeys.prefix(upTo, append(eq, upper));
                hi = min(hi, upperInclusive ? IndexKeys.successor(b) : b);
            }
        }
        return new PlannedQuery(t, q, conditions, ix, k, lo, hi, orderPos, sorted);
    }

    private static byte[] max(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b) >= 0 ? a : b;
    }

    /** The smaller of two exclusive upper bounds, null meaning unbounded. */
    private static byte[] min(byte[] a, byte[] b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return Arrays.compareUnsigned(a, b) <= 0 ? a : b;
    }

    private static Object[] append(Object[] values, Object last) {
        Object[] v = Arrays.copyOf(values, values.length + 1);
        v[values.length] = last;
        return v;
    }

    private static int equalities(StoredIndex ix, List<Condition> conditions) {
        int k = 0;
        while (k < ix.positions().length && first(conditions, ix.index().fields().get(k), Op.EQ) != null) {
            k++;
        }
        return k;
    }

    private static boolean hasRange(List<Condition> conditions, String field) {
        for (Condition c : conditions) {
            if (c.field().equals(field) && c.op() != Op.EQ) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether reading the index gives results in order of {@code orderField} with ties in id order:
     * the order field is the last index field and every one before it is bound by an equality, or
     * all index fields are bound and the order field is one of them (a constant).
     */
    private static boolean providesOrder(StoredIndex ix, int k, String orderField) {
        if (orderField == null) {
            return true;
        }
        List<String> fields = ix.index().fields();
        if (k == fields.size()) {
            return fields.contains(orderField);
        }
        return k == fields.size() - 1 && fields.get(k).equals(orderField);
    }

    private static Condition first(List<Condition> conditions, String field, Op op) {
        for (Condition c : conditions) {
            if (c.op() == op && c.field().equals(field)) {
                return c;
            }
        }
        return null;
    }

    private static int position(StoredType t, String field, String what) {
        int p = t.indexOf(field);
        if (p < 0) {
            throw new IllegalArgumentException(what + " '" + field + "' is not a field of " + t.name() + " (fields: "
                    + Arrays.asList(t.names()) + ")");
        }
        return p;
    }

    /** The condition with its value coerced to the field's type. */
    private static Condition normalize(StoredType t, Condition c) {
        Field f = t.fields().get(position(t, c.field(), "condition field"));
        if (f.type() == FieldType.VECTOR) {
            throw new IllegalArgumentException("cannot query " + t.name() + " by the VECTOR field " + f.name());
        }
        if (c.op() == Op.STARTS_WITH && f.type() != FieldType.TEXT) {
            throw new IllegalArgumentException("startsWith needs a TEXT field; " + t.name() + "." + f.name() + " is "
                    + f.type());
        }
        Object v = Values.coerce(f.type(), c.value(), () -> "value of condition " + c + " on " + t.name());
        return new Condition(c.field(), c.op(), v);
    }

    /** The public description of a plan. */
    static QueryPlan describe(PlannedQuery p) {
        Query q = p.query();
        List<String> bounded = new ArrayList<>();
        List<String> filters = new ArrayList<>();
        StringBuilder d = new StringBuilder();
        if (p.index() != null) {
            List<String> fields = p.index().index().fields();
            for (Condition c : p.conditions()) {
                int at = fields.indexOf(c.field());
                boolean used = at >= 0 && (at < p.equalities() ? c.op() == Op.EQ : at == p.equalities() && c.op() != Op.EQ);
                (used ? bounded : filters).add(c.toString());
            }
            d.append("INDEX ").append(p.type().name()).append('.').append(p.index().name()).append(' ')
                    .append(fields).append(bounded.isEmpty() ? " (whole index)" : " " + bounded);
        } else {
            p.conditions().forEach(c -> filters.add(c.toString()));
            d.append("SCAN ").append(p.type().name());
            if (!p.conditions().isEmpty()) {
                d.append(" (no index starts with ").append(p.conditions().stream().map(Condition::field).distinct()
                        .toList()).append(')');
            } else if (q.orderField() != null && p.sorted()) {
                d.append(" (no index on ").append(q.orderField()).append(')');
            }
        }
        if (!filters.isEmpty()) {
            d.append(" FILTER ").append(filters);
        }
        if (q.orderField() != null) {
            d.append(p.sorted() ? " SORT BY " : " ORDER BY ").append(q.orderField()).append(q.descending() ? " DESC" : "");
        }
        if (q.limit() != Integer.MAX_VALUE) {
            d.append(" LIMIT ").append(q.limit());
        }
        return new QueryPlan(p.type().name(), p.index() == null ? null : p.index().name(), List.copyOf(bounded),
                List.copyOf(filters), p.sorted(), d.toString());
    }
}
