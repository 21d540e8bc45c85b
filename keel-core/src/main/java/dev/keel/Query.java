package dev.keel;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A query over the entities of one type: conditions on fields (all must hold), an optional order
 * and a limit. Run it with {@link Snapshot#query}; {@link Snapshot#explain} tells whether an index
 * answers it or the entities are scanned. Conditions on a missing value never match. Ordering:
 * numbers and timestamps by value, text by Unicode code point, booleans false first, bytes
 * unsigned; entities without a value for the order field come first (ascending); ties in id order.
 * Immutable: every method returns a new query.
 *
 * <pre>{@code
 * snapshot.query(Query.on("User").eq("tenant", "acme").startsWith("name", "Ad").orderBy("name").limit(20))
 * }</pre>
 */
public final class Query {
    /** A comparison of a field with a value. */
    public enum Op { EQ, GT, GTE, LT, LTE, STARTS_WITH }

    /** One condition: {@code field op value}. */
    public record Condition(String field, Op op, Object value) {
        public Condition {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(value, "value of the condition on " + field + " (a missing value never matches)");
        }

        @Override
        public String toString() {
            String symbol = switch (op) {
                case EQ -> "=";
                case GT -> ">";
                case GTE -> ">=";
                case LT -> "<";
                case LTE -> "<=";
                case STARTS_WITH -> "starts with";
            };
            return field + " " + symbol + " " + (value instanceof String s ? '"' + s + '"' : value);
        }
    }

    private final String type;
    private final List<Condition> conditions;
    private final String orderBy;
    private final boolean descending;
    private final int limit;

    private Query(String type, List<Condition> conditions, String orderBy, boolean descending, int limit) {
        this.type = type;
        this.conditions = conditions;
        this.orderBy = orderBy;
        this.descending = descending;
        this.limit = limit;
    }

    /** A query for every entity of {@code type}. */
    public static Query on(String type) {
        return new Query(Objects.requireNonNull(type, "type"), List.of(), null, false, Integer.MAX_VALUE);
    }

    private Query with(Condition c) {
        List<Condition> all = new ArrayList<>(conditions);
        all.add(c);
        return new Query(type, List.copyOf(all), orderBy, descending, limit);
    }

    /** Entities whose {@code field} equals {@code value}. */
    public Query eq(String field, Object value) {
        return with(new Condition(field, Op.EQ, value));
    }

    /** Entities whose {@code field} is greater than {@code value}. */
    public Query gt(String field, Object value) {
        return with(new Condition(field, Op.GT, value));
    }

    /** Entities whose {@code field} is at least {@code value}. */
    public Query gte(String field, Object value) {
        return with(new Condition(field, Op.GTE, value));
    }

    /** Entities whose {@code field} is less than {@code value}. */
    public Query lt(String field, Object value) {
        return with(new Condition(field, Op.LT, value));
    }

    /** Entities whose {@code field} is at most {@code value}. */
    public Query lte(String field, Object value) {
        return with(new Condition(field, Op.LTE, value));
    }

    /** Entities whose {@code field} is between {@code from} and {@code to}, both inclusive. */
    public Query between(String field, Object from, Object to) {
        return gte(field, from).lte(field, to);
    }

    /** Entities whose TEXT {@code field} starts with {@code prefix}. */
    public Query startsWith(String field, String prefix) {
        return with(new Condition(field, Op.STARTS_WITH, prefix));
    }

    /** Results in ascending order of {@code field} (then id). */
    public Query orderBy(String field) {
        return new Query(type, conditions, Objects.requireNonNull(field, "field"), false, limit);
    }

    /** Results in descending order of {@code field} (then descending id). */
    public Query orderByDescending(String field) {
        return new Query(type, conditions, Objects.requireNonNull(field, "field"), true, limit);
    }

    /** At most {@code n} results. */
    public Query limit(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("limit must be at least 0, was " + n);
        }
        return new Query(type, conditions, orderBy, descending, n);
    }

    public String type() {
        return type;
    }

    public List<Condition> conditions() {
        return conditions;
    }

    /** The order field, or {@code null} for the plan's natural order (index order, else id). */
    public String orderField() {
        return orderBy;
    }

    public boolean descending() {
        return descending;
    }

    /** The limit; {@code Integer.MAX_VALUE} when none. */
    public int limit() {
        return limit;
    }

    @Override
    public String toString() {
        return "Query on " + type + (conditions.isEmpty() ? "" : " where " + conditions) + (orderBy == null ? ""
                : " order by " + orderBy + (descending ? " desc" : "")) + (limit == Integer.MAX_VALUE ? "" : " limit " + limit);
    }
}
