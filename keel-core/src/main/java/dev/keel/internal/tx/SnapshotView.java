package dev.keel.internal.tx;

import dev.keel.CorruptionException;
import dev.keel.Entity;
import dev.keel.Query;
import dev.keel.QueryPlan;
import dev.keel.Snapshot;
import dev.keel.internal.query.PlannedQuery;
import dev.keel.internal.query.QueryExecutor;
import dev.keel.internal.query.QueryPlanner;
import java.util.List;
import dev.keel.internal.codec.MalformedDataException;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.RecordMapper;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.store.Store;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/** A read-only {@link Snapshot} over one immutable {@link Store} version. Thread-safe. */
public class SnapshotView implements Snapshot {
    protected final Store store;
    private final Path directory;

    public SnapshotView(Store store, Path directory) {
        this.store = store;
        this.directory = directory;
    }

    @Override
    public long lsn() {
        return store.lsn();
    }

    /** The stored type named {@code type}; unknown names are a usage error. */
    protected StoredType type(String type) {
        if (type == null) {
            throw new IllegalArgumentException("entity type name is null");
        }
        StoredType t = store.schema().byName(type);
        if (t == null) {
            throw new IllegalArgumentException("unknown entity type '" + type + "'; stored types are "
                    + store.schema().types().stream().map(StoredType::name).toList()
                    + " (declare it with KeelOptions.Builder.entityType)");
        }
        return t;
    }

    protected static String typeName(Class<? extends Record> recordClass) {
        return RecordMapper.of(recordClass).entityType().name();
    }

    protected Entity decode(StoredType t, long id, byte[] value) {
        try {
            return EntityCodec.decode(t, id, value);
        } catch (MalformedDataException e) {
            throw new CorruptionException(directory, 0, "stored entity " + t.name() + "#" + id + " does not decode: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Entity> get(String type, long id) {
        StoredType t = type(type);
        byte[] v = store.get(t.typeId(), id);
        return v == null ? Optional.empty() : Optional.of(decode(t, id, v));
    }

    @Override
    public <R extends Record> Optional<R> get(Class<R> recordClass, long id) {
        RecordMapper<R> m = RecordMapper.of(recordClass);
        return get(m.entityType().name(), id).map(m::fromEntity);
    }

    @Override
    public Stream<Entity> scan(String type) {
        return scan(type, Long.MIN_VALUE);
    }

    @Override
    public Stream<Entity> scan(String type, long fromId) {
        StoredType t = type(type);
        Store.Cursor c = store.scan(t.typeId(), fromId);
        return stream(c, t);
    }

    protected Stream<Entity> stream(Store.Cursor c, StoredType t) {
        Spliterator<Entity> s = new Spliterators.AbstractSpliterator<>(Long.MAX_VALUE,
                Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.IMMUTABLE) {
            @Override
            public boolean tryAdvance(Consumer<? super Entity> action) {
                if (!c.next()) {
                    return false;
                }
                action.accept(decode(t, c.id(), c.value()));
                return true;
            }
        };
        return StreamSupport.stream(s, false);
    }

    @Override
    public <R extends Record> Stream<R> scan(Class<R> recordClass) {
        RecordMapper<R> m = RecordMapper.of(recordClass);
        return scan(m.entityType().name()).map(m::fromEntity);
    }

    @Override
    public long count(String type) {
        return store.count(type(type).typeId());
    }

    @Override
    public Stream<Entity> query(Query query) {
        PlannedQuery p = plan(query);
        return QueryExecutor.run(store, p, (id, v) -> decode(p.type(), id, v), id -> false, List.of());
    }

    @Override
    public QueryPlan explain(Query query) {
        return plan(query).describe();
    }

    protected PlannedQuery plan(Query query) {
        if (query == null) {
            throw new IllegalArgumentException("query is null");
        }
        return QueryPlanner.plan(type(query.type()), query, store.indexed());
    }
}
