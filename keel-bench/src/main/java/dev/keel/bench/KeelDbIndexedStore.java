package dev.keel.bench;

import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.FieldType;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.Query;
import dev.keel.QueryPlan;
import dev.keel.Snapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * KeelDB for {@link IndexBenchmark}, with the settings of {@link KeelDbStore} (default options,
 * {@code Durability.SYNC}): entity type {@code Item(k LONG, name TEXT, age INT, score DOUBLE)}, all
 * required, with non-unique indexes {@code by_k}, {@code by_name}, {@code by_age} as asked. KeelDB
 * assigns the ids (kept in an {@link IdTable}). Every query takes a fresh snapshot, as an
 * application running one query would.
 */
final class KeelDbIndexedStore implements IndexedStore {
    static final String TYPE = "Item";

    private final KeelDb db;
    private final IdTable ids;
    private final int loaded;

    private KeelDbIndexedStore(KeelDb db, IdTable ids, int loaded) {
        this.db = db;
        this.ids = ids;
        this.loaded = loaded;
    }

    static EntityType type(int indexes) {
        EntityType.Builder b = EntityType.builder(TYPE)
                .requiredField("k", FieldType.LONG)
                .requiredField("name", FieldType.TEXT)
                .requiredField("age", FieldType.INT)
                .requiredField("score", FieldType.DOUBLE);
        for (String field : INDEX_FIELDS.subList(0, indexes)) {
            b.index(field);
        }
        return b.build();
    }

    static IndexedStore open(Path directory, int indexes, IdTable ids, int loaded) {
        KeelOptions options = KeelOptions.builder().entityType(type(indexes)).build();
        return new KeelDbIndexedStore(KeelDb.open(directory, options), ids, loaded);
    }

    private Map<String, Object> values(long key) {
        IndexedRow r = IndexedRow.forKey(key, loaded);
        return Map.of("k", r.k(), "name", r.name(), "age", r.age(), "score", r.score());
    }

    private static Hit hit(Entity e) {
        return new Hit(e.id(), new IndexedRow(e.getLong("k"), e.getText("name"), (Integer) e.get("age"),
                e.getDouble("score")));
    }

    @Override
    public void insertBatch(long firstKey, int count) {
        long[] assigned = db.write(tx -> {
            long[] a = new long[count];
            for (int i = 0; i < count; i++) {
                a[i] = tx.insert(TYPE, values(firstKey + i));
            }
            return a;
        });
        for (int i = 0; i < count; i++) {
            ids.put(firstKey + i, assigned[i]);
        }
    }

    @Override
    public void insert(long key) {
        ids.put(key, db.write(tx -> tx.insert(TYPE, values(key))));
    }

    @Override
    public Hit get(long key) {
        long id = ids.get(key);
        return id < 0 ? null : db.read(s -> s.get(TYPE, id)).map(KeelDbIndexedStore::hit).orElse(null);
    }

    private static Query byKQuery(long value) {
        return Query.on(TYPE).eq("k", value);
    }

    private static Query kRangeQuery(long from, long to) {
        return Query.on(TYPE).gte("k", from).lt("k", to).orderBy("k");
    }

    private static Query nameFromQuery(String from, int limit) {
        return Query.on(TYPE).gte("name", from).orderBy("name").limit(limit);
    }

    private List<Hit> run(Query q) {
        return db.read(s -> {
            List<Hit> hits = new ArrayList<>();
            s.query(q).forEach(e -> hits.add(hit(e)));
            return hits;
        });
    }

    @Override
    public List<Hit> byK(long value) {
        return run(byKQuery(value));
    }

    @Override
    public List<Hit> kRange(long from, long to) {
        return run(kRangeQuery(from, to));
    }

    @Override
    public List<Hit> nameFrom(String from, int limit) {
        return run(nameFromQuery(from, limit));
    }

    @Override
    public List<String> checkPlans() {
        Snapshot s = db.snapshot();
        return List.of(check(s.explain(byKQuery(0)), "by_k"), check(s.explain(kRangeQuery(0, 100)), "by_k"),
                check(s.explain(nameFromQuery(IndexedRow.nameOf(0), 100)), "by_name"));
    }

    private static String check(QueryPlan plan, String index) {
        if (!plan.usesIndex() || !index.equals(plan.index()) || plan.sorted()) {
            throw new IllegalStateException("KeelDB plan does not read " + index + " in order: " + plan.description());
        }
        return plan.description();
    }

    @Override
    public long idOf(long key) {
        return ids.get(key);
    }

    @Override
    public void close() {
        db.close();
    }
}
