package dev.keel.server.api;

import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.Query;
import dev.keel.QueryPlan;
import dev.keel.Snapshot;
import dev.keel.server.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A list request ({@code GET /v1/entities/{type}?...}) parsed and run as a {@link Query} with keyset
 * pagination.
 *
 * <p>Order: by {@code orderBy} (ascending, or descending with {@code -field}), ties by id in the same
 * direction, entities without a value first when ascending and last when descending (the core's
 * order); without {@code orderBy}, by id ascending.
 *
 * <p>Paging: a page is the first {@code limit} entities strictly after the cursor's (value, id). With
 * an order field and a cursor value {@code v} the core query gets {@code field >= v} (descending
 * {@code <=}), so an index on the field starts the read at {@code v}, and the entities equal to
 * {@code v} up to the cursor's id are dropped from the front of the ordered stream. Descending, the
 * entities without a value come last and no condition selects them: once the values ran out they
 * are read from the query without the bound (past every value), unless the field is required. A
 * cursor that stopped among them (no value) drops everything before it from the unbounded query. In id order a
 * query without conditions reads {@link Snapshot#scan(String, long)} from the cursor's id; with
 * conditions a scan plan yields id order itself, while an index plan yields index order and its
 * matches are sorted by id (a cost proportional to the matches, not the type). Each page is read from
 * one snapshot. One more entity than the limit is read to know whether a next page exists.
 */
final class ListQuery {
    static final int DEFAULT_LIMIT = 100;
    private static final List<String> RESERVED = List.of("orderBy", "limit", "cursor", "explain");

    private final EntityType type;
    private final List<Query.Condition> conditions;
    private final Field orderField;
    private final boolean descending;
    private final int limit;
    private final boolean explain;
    private final String fingerprint;
    private final Cursor cursor;

    private ListQuery(EntityType type, List<Query.Condition> conditions, Field orderField, boolean descending,
            int limit, boolean explain, String fingerprint, String cursor) {
        this.type = type;
        this.conditions = conditions;
        this.orderField = orderField;
        this.descending = descending;
        this.limit = limit;
        this.explain = explain;
        this.fingerprint = fingerprint;
        this.cursor = cursor == null ? null : Cursor.decode(cursor, fingerprint, orderField);
    }

    /** One page: its entities, the cursor of the next page (null on the last page), the plan if asked for. */
    record Page(List<Entity> items, String nextCursor, String plan) {
    }

    /**
     * Parses the query parameters of a list request.
     *
     * @throws ApiException 400 with {@code path} naming the parameter ({@code unknown-field},
     *         {@code invalid-field}, {@code invalid-cursor})
     */
    static ListQuery parse(EntityType type, Map<String, List<String>> params, int maxPageSize) {
        List<Query.Condition> conditions = new ArrayList<>();
        // Canonical form of the filters and order, for the cursor's fingerprint.
        TreeMap<String, List<String>> canonical = new TreeMap<>();
        for (Map.Entry<String, List<String>> p : params.entrySet()) {
            String name = p.getKey();
            if (RESERVED.contains(name)) {
                if (p.getValue().size() != 1) {
                    throw ApiException.invalidField(name, name + ": give it once, not " + p.getValue().size() + " times");
                }
                continue;
            }
            if (name.isEmpty()) {
                continue; // "?&limit=1"
            }
            int dot = name.lastIndexOf('.');
            String fieldName = dot < 0 ? name : name.substring(0, dot);
            Query.Op op = dot < 0 ? Query.Op.EQ : operator(name, name.substring(dot + 1));
            Field field = field(type, fieldName, name);
            if (op == Query.Op.STARTS_WITH && field.type() != dev.keel.FieldType.TEXT) {
                throw ApiException.invalidField(name, name + ": startsWith needs a TEXT field; " + fieldName + " is "
                        + field.type());
            }
            for (String text : p.getValue()) {
                conditions.add(new Query.Condition(field.name(), op, QueryValues.parse(field, text, name)));
            }
            canonical.put(name, p.getValue().stream().sorted().toList());
        }
        String orderBy = single(params, "orderBy");
        Field orderField = null;
        boolean descending = false;
        if (orderBy != null) {
            descending = orderBy.startsWith("-");
            String name = descending || orderBy.startsWith("+") ? orderBy.substring(1) : orderBy;
            orderField = field(type, name, "orderBy");
            if (orderField.type() == dev.keel.FieldType.VECTOR) {
                throw ApiException.invalidField("orderBy", "orderBy: " + name + " is a VECTOR field, which cannot be"
                        + " ordered by");
            }
            canonical.put("\u0000orderBy", List.of((descending ? "-" : "+") + name));
        }
        int limit = limit(single(params, "limit"), maxPageSize);
        boolean explain = bool(single(params, "explain"), "explain");
        return new ListQuery(type, List.copyOf(conditions), orderField, descending, limit, explain,
                fingerprint(type.name() + "\n" + canonical), single(params, "cursor"));
    }

    private static Query.Op operator(String parameter, String suffix) {
        return switch (suffix) {
            case "gt" -> Query.Op.GT;
            case "gte" -> Query.Op.GTE;
            case "lt" -> Query.Op.LT;
            case "lte" -> Query.Op.LTE;
            case "startsWith" -> Query.Op.STARTS_WITH;
            default -> throw ApiException.invalidField(parameter, parameter + ": unknown operator '" + suffix
                    + "'; use field=value, or field.gt, .gte, .lt, .lte, .startsWith");
        };
    }

    private static Field field(EntityType type, String name, String parameter) {
        Optional<Field> f = type.field(name);
        if (f.isEmpty()) {
            throw EntityJson.unknownField(parameter, type, name);
        }
        return f.get();
    }

    private static String single(Map<String, List<String>> params, String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static int limit(String text, int maxPageSize) {
        if (text == null) {
            return Math.min(DEFAULT_LIMIT, maxPageSize);
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= maxPageSize) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalidField("limit", "limit: expected a page size from 1 to " + maxPageSize + ", got '"
                + text + "'").with("maximum", maxPageSize);
    }

    private static boolean bool(String text, String name) {
        if (text == null || text.equals("false")) {
            return false;
        }
        if (text.equals("true")) {
            return true;
        }
        throw ApiException.invalidField(name, name + ": expected true or false, got '" + text + "'");
    }

    private static String fingerprint(String canonical) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(h, 12));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    boolean explain() {
        return explain;
    }

    private Query base() {
        Query q = Query.on(type.name());
        for (Query.Condition c : conditions) {
            q = switch (c.op()) {
                case EQ -> q.eq(c.field(), c.value());
                case GT -> q.gt(c.field(), c.value());
                case GTE -> q.gte(c.field(), c.value());
                case LT -> q.lt(c.field(), c.value());
                case LTE -> q.lte(c.field(), c.value());
                case STARTS_WITH -> q.startsWith(c.field(), (String) c.value());
            };
        }
        return q;
    }

    /** Reads one page from {@code snapshot}. */
    Page run(Snapshot snapshot) {
        Stream<Entity> stream;
        Query ran;
        if (orderField == null) {
            long after = cursor == null ? 0 : cursor.id();
            ran = base();
            if (conditions.isEmpty()) {
                stream = snapshot.scan(type.name(), after + 1);
            } else {
                boolean idOrder = !snapshot.explain(ran).usesIndex();
                stream = snapshot.query(ran).filter(e -> e.id() > after);
                if (!idOrder) {
                    stream = stream.sorted(Comparator.comparingLong(Entity::id));
                }
            }
        } else {
            String f = orderField.name();
            Query q = descending ? base().orderByDescending(f) : base().orderBy(f);
            ran = q;
            if (cursor == null) {
                stream = snapshot.query(q);
            } else if (cursor.key() == null) {
                // Entities without a value come first ascending, last descending; no condition selects them.
                long id = cursor.id();
                stream = snapshot.query(q).dropWhile(descending ? e -> e.get(f) != null || e.id() >= id
                        : e -> e.get(f) == null && e.id() <= id);
            } else {
                long id = cursor.id();
                Object k = cursor.key();
                Query from = descending ? q.lte(f, k) : q.gte(f, k);
                Predicate<Entity> seen = descending ? e -> same(e.get(f), k) && e.id() >= id
                        : e -> same(e.get(f), k) && e.id() <= id;
                ran = from;
                List<Supplier<Stream<Entity>>> parts = new ArrayList<>();
                parts.add(() -> snapshot.query(from).dropWhile(seen));
                if (descending && !orderField.isRequired()) {
                    // The entities without a value come after every value; read only once the values ran out.
                    parts.add(() -> snapshot.query(q).dropWhile(e -> e.get(f) != null));
                }
                stream = parts.stream().flatMap(Supplier::get);
            }
        }
        List<Entity> items = new ArrayList<>(stream.limit(limit + 1L).toList());
        String next = null;
        if (items.size() > limit) {
            items.remove(limit);
            Entity last = items.get(limit - 1);
            next = new Cursor(fingerprint, last.id(), orderField != null,
                    orderField == null ? null : last.get(orderField.name())).encode();
        }
        String plan = null;
        if (explain) {
            QueryPlan p = snapshot.explain(ran);
            plan = p.description() + (orderField == null && cursor != null ? " (after id " + cursor.id() + ")" : "");
        }
        return new Page(items, next, plan);
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.equals(x, y);
        }
        return Objects.equals(a, b);
    }
}
