package dev.keel.bench;

import dev.keel.Durability;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.FieldType;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * KeelDB with its defaults: {@link Durability#SYNC} (a commit returns after its log record is
 * fdatasync'ed; concurrent committers share a sync). One entity type {@code Person(name TEXT,
 * age LONG, score DOUBLE)}, all required; KeelDB assigns the ids, recorded in the {@link IdTable}.
 * Every read takes a fresh snapshot, as an application reading one entity would.
 */
final class KeelDbStore implements Store {
    static final String TYPE = "Person";
    static final EntityType PERSON = EntityType.builder(TYPE)
            .requiredField("name", FieldType.TEXT)
            .requiredField("age", FieldType.LONG)
            .requiredField("score", FieldType.DOUBLE)
            .build();

    static final StoreKind KIND = new StoreKind("keeldb", "KeelDB",
            "default options: Durability.SYNC (fdatasync before a commit returns, group commit),"
                    + " 64 MiB preallocated log segments",
            KeelDbStore::version, KeelDbStore::open);

    private final KeelDb db;
    private final IdTable ids;

    private KeelDbStore(KeelDb db, IdTable ids) {
        this.db = db;
        this.ids = ids;
    }

    static Store open(Path directory, IdTable ids) {
        KeelOptions options = KeelOptions.builder().entityType(PERSON).build();
        return new KeelDbStore(KeelDb.open(directory, options), ids);
    }

    static String version() {
        String v = KeelDb.class.getPackage().getImplementationVersion();
        return v != null ? v : "working tree";
    }

    private static Map<String, Object> values(Row row) {
        return Map.of("name", row.name(), "age", row.age(), "score", row.score());
    }

    @Override
    public Session session() {
        return new Session() {
            @Override
            public void insert(long key, Row row) {
                ids.put(key, db.write(tx -> tx.insert(TYPE, values(row))));
            }

            @Override
            public void insertBatch(long firstKey, int count) {
                long[] assigned = db.write(tx -> {
                    long[] a = new long[count];
                    for (int i = 0; i < count; i++) {
                        a[i] = tx.insert(TYPE, values(Row.forKey(firstKey + i)));
                    }
                    return a;
                });
                for (int i = 0; i < count; i++) {
                    ids.put(firstKey + i, assigned[i]);
                }
            }

            @Override
            public Row read(long key) {
                long id = ids.get(key);
                if (id < 0) {
                    return null;
                }
                Optional<Entity> e = db.read(s -> s.get(TYPE, id));
                return e.map(x -> new Row(x.getText("name"), x.getLong("age"), x.getDouble("score"))).orElse(null);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        db.close();
    }
}
