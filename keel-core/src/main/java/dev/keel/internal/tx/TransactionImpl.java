package dev.keel.internal.tx;

import dev.keel.ConstraintViolationException;
import dev.keel.DatabaseClosedException;
import dev.keel.Entity;
import dev.keel.EntityNotFoundException;
import dev.keel.Transaction;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.RecordMapper;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.entity.SystemTypes;
import dev.keel.internal.store.Store;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A read-write transaction: reads its begin snapshot overlaid with its own writes; buffers writes
 * (encoded, with version 0 until commit) in per-type sorted maps; remembers for each written entity
 * the version it saw, which the engine compares with the latest committed version at commit
 * (first committer wins). Confined to one thread.
 */
public final class TransactionImpl extends SnapshotView implements Transaction {
    /**
     * A buffered change: {@code value == null} is a delete. {@code fresh} marks an entity inserted
     * by this transaction under a newly allocated id, which no other transaction can touch.
     */
    public record Write(StoredType type, long id, byte[] value, long seenVersion, boolean fresh) {
    }

    private enum State { ACTIVE, COMMITTED, ROLLED_BACK }

    private final TxContext context;
    private final Integrity integrity = new Integrity(this);
    private final Map<Integer, NavigableMap<Long, Write>> writes = new HashMap<>();
    private final ByteWriter scratch = new ByteWriter(256);
    private State state = State.ACTIVE;
    private int size;
    private long committedLsn = -1;
    private String commitRefusal;

    public TransactionImpl(Store snapshot, Path directory, TxContext context) {
        super(snapshot, directory);
        this.context = context;
    }

    /** The snapshot this transaction began from. */
    public Store base() {
        return store;
    }

    /** Buffered writes grouped by type id, ids ascending. */
    public Map<Integer, NavigableMap<Long, Write>> writes() {
        return writes;
    }

    public int writeCount() {
        return size;
    }

    private void checkActive() {
        if (state != State.ACTIVE) {
            throw new DatabaseClosedException("transaction is already " + (state == State.COMMITTED ? "committed"
                    : "rolled back") + "; begin a new one");
        }
    }

    private Write own(StoredType t, long id) {
        NavigableMap<Long, Write> m = writes.get(t.typeId());
        return m == null ? null : m.get(id);
    }

    /** The latest published store version; see {@link TxContext#latest()}. */
    Store latest() {
        return context.latest();
    }

    /** The schema this transaction writes under (its snapshot's). */
    dev.keel.internal.entity.Schema schema() {
        return store.schema();
    }

    /** Whether this transaction has written (changed or deleted) entity {@code id} of {@code t}. */
    boolean ownsWrite(StoredType t, long id) {
        return own(t, id) != null;
    }

    /** The entity as this transaction sees it (its own write, else its snapshot's), or null. */
    byte[] current(StoredType t, long id) {
        Write w = own(t, id);
        return w != null ? w.value() : store.get(t.typeId(), id);
    }

    private long seenVersion(StoredType t, long id) {
        Write w = own(t, id);
        if (w != null) {
            return w.seenVersion();
        }
        byte[] v = store.get(t.typeId(), id);
        return v == null ? 0 : EntityCodec.version(v);
    }

    private void put(StoredType t, long id, byte[] value) {
        NavigableMap<Long, Write> byId = writes.computeIfAbsent(t.typeId(), k -> new TreeMap<>());
        Write prev = byId.get(id);
        Write next = prev != null ? new Write(t, id, value, prev.seenVersion(), prev.fresh())
                : new Write(t, id, value, seenVersion(t, id), false);
        byId.put(id, next);
        if (prev == null) {
            size++;
        }
        integrity.written(t, id, prev == null ? null : prev.value(), value);
    }

    private void putFresh(StoredType t, long id, byte[] value) {
        writes.computeIfAbsent(t.typeId(), k -> new TreeMap<>()).put(id, new Write(t, id, value, 0, true));
        size++;
        integrity.written(t, id, null, value);
    }

    @Override
    public Optional<Entity> get(String type, long id) {
        checkActive();
        StoredType t = type(type);
        byte[] v = current(t, id);
        return v == null ? Optional.empty() : Optional.of(decode(t, id, v));
    }

    @Override
    public Stream<Entity> scan(String type, long fromId) {
        checkActive();
        StoredType t = type(type);
        NavigableMap<Long, Write> mine = writes.get(t.typeId());
        if (mine == null || mine.isEmpty()) {
            return super.scan(type, fromId);
        }
        return stream(new MergedCursor(store.scan(t.typeId(), fromId), mine.tailMap(fromId, true)), t);
    }

    @Override
    public Stream<Entity> query(dev.keel.Query query) {
        checkActive();
        dev.keel.internal.query.PlannedQuery p = plan(query);
        NavigableMap<Long, Write> mine = writes.get(p.type().typeId());
        if (mine == null || mine.isEmpty()) {
            return super.query(query);
        }
        java.util.List<Entity> own = new java.util.ArrayList<>();
        for (Write w : mine.values()) {
            if (w.value() != null) {
                own.add(decode(p.type(), w.id(), w.value()));
            }
        }
        return dev.keel.internal.query.QueryExecutor.run(store, p, (id, v) -> decode(p.type(), id, v),
                mine::containsKey, own);
    }

    @Override
    public dev.keel.QueryPlan explain(dev.keel.Query query) {
        checkActive();
        return super.explain(query);
    }

    @Override
    public long count(String type) {
        checkActive();
        StoredType t = type(type);
        long n = store.count(t.typeId());
        NavigableMap<Long, Write> mine = writes.get(t.typeId());
        if (mine != null) {
            for (Write w : mine.values()) {
                boolean before = store.get(t.typeId(), w.id()) != null;
                n += (w.value() != null ? 1 : 0) - (before ? 1 : 0);
            }
        }
        return n;
    }

    /**
     * The stored type named {@code type} for a write by application code: system types are written
     * only by the engine (see {@link #insertSystem}).
     */
    private StoredType writable(String type) {
        StoredType t = type(type);
        if (SystemTypes.isSystem(t.name())) {
            throw new IllegalArgumentException("entity type " + t.name() + " is a system type: only KeelDB writes it"
                    + (t.name().equals(SystemTypes.IDEMPOTENCY) ? " (through KeelDb.writeIdempotent)" : "")
                    + "; it can be read, but not inserted, updated or deleted");
        }
        return t;
    }

    @Override
    public long insert(String type, Map<String, ?> values) {
        checkActive();
        Objects.requireNonNull(values, "values");
        context.checkWritable();
        return insert(writable(type), values);
    }

    /**
     * Inserts an entity of a system type (which {@link #insert(String, Map)} refuses); for the
     * engine's own records, written in the same transaction as the application's writes.
     */
    public long insertSystem(String type, Map<String, ?> values) {
        checkActive();
        Objects.requireNonNull(values, "values");
        context.checkWritable();
        StoredType t = type(type);
        if (!SystemTypes.isSystem(t.name())) {
            throw new IllegalArgumentException(type + " is not a system type");
        }
        return insert(t, values);
    }

    /** Deletes an entity of a system type (which {@link #delete(String, long)} refuses); see {@link #insertSystem}. */
    public boolean deleteSystem(String type, long id) {
        checkActive();
        context.checkWritable();
        StoredType t = type(type);
        if (!SystemTypes.isSystem(t.name())) {
            throw new IllegalArgumentException(type + " is not a system type");
        }
        return delete(t, id);
    }

    private long insert(StoredType t, Map<String, ?> values) {
        byte[] encoded = EntityCodec.encode(t, 0, values, true, scratch);
        integrity.checkWrite(t, 0, encoded);
        long id = context.allocateId(t.typeId());
        putFresh(t, id, encoded);
        return id;
    }

    @Override
    public long insert(String type, long id, Map<String, ?> values) {
        checkActive();
        Objects.requireNonNull(values, "values");
        if (id < 1 || id == Long.MAX_VALUE) {
            throw new IllegalArgumentException("entity id " + id + " is out of range; ids are 1 to " + (Long.MAX_VALUE - 1));
        }
        context.checkWritable();
        StoredType t = writable(type);
        if (current(t, id) != null) {
            throw new ConstraintViolationException(type, "id", "an entity " + type + "#" + id + " already exists;"
                    + " use update to change it or insert without an id to get a new one");
        }
        byte[] encoded = EntityCodec.encode(t, 0, values, true, scratch);
        integrity.checkWrite(t, id, encoded);
        context.reserveId(t.typeId(), id);
        put(t, id, encoded);
        return id;
    }

    @Override
    public long insert(Record record) {
        Objects.requireNonNull(record, "record");
        return insert(mapped(record).entityType().name(), toValues(record));
    }

    @Override
    public void update(String type, long id, Map<String, ?> changes) {
        checkActive();
        Objects.requireNonNull(changes, "changes");
        context.checkWritable();
        StoredType t = writable(type);
        byte[] cur = current(t, id);
        if (cur == null) {
            throw new EntityNotFoundException(type, id);
        }
        Map<String, Object> merged = new LinkedHashMap<>(EntityCodec.decodeValues(t, cur));
        for (Map.Entry<String, ?> c : changes.entrySet()) {
            if (t.indexOf(c.getKey()) < 0) {
                throw new ConstraintViolationException(type, c.getKey(), "field is not declared in type " + type);
            }
            if (c.getValue() == null) {
                merged.remove(c.getKey());
            } else {
                merged.put(c.getKey(), c.getValue());
            }
        }
        byte[] encoded = EntityCodec.encode(t, 0, merged, scratch);
        integrity.checkWrite(t, id, encoded);
        put(t, id, encoded);
    }

    @Override
    public void update(long id, Record record) {
        Objects.requireNonNull(record, "record");
        checkActive();
        context.checkWritable();
        StoredType t = writable(mapped(record).entityType().name());
        if (current(t, id) == null) {
            throw new EntityNotFoundException(t.name(), id);
        }
        byte[] encoded = EntityCodec.encode(t, 0, toValues(record), scratch);
        integrity.checkWrite(t, id, encoded);
        put(t, id, encoded);
    }

    @Override
    public boolean delete(String type, long id) {
        checkActive();
        context.checkWritable();
        return delete(writable(type), id);
    }

    private boolean delete(StoredType t, long id) {
        if (current(t, id) == null) {
            return false;
        }
        Integrity.DeletePlan plan = integrity.planDelete(t, id);
        for (Integrity.Clear c : plan.clears()) {
            Map<String, Object> values = new LinkedHashMap<>(EntityCodec.decodeValues(c.type(), current(c.type(), c.id())));
            values.remove(c.field());
            put(c.type(), c.id(), EntityCodec.encode(c.type(), 0, values, scratch));
        }
        for (Integrity.Target d : plan.deletes()) {
            deleteOne(d.type(), d.id());
        }
        return true;
    }

    private void deleteOne(StoredType t, long id) {
        if (store.get(t.typeId(), id) == null) {
            Write removed = writes.get(t.typeId()).remove(id);
            size--;
            integrity.written(t, id, removed.value(), null);
        } else {
            put(t, id, null);
        }
    }

    @Override
    public boolean delete(Class<? extends Record> recordClass, long id) {
        return delete(typeName(recordClass), id);
    }

    @SuppressWarnings("unchecked")
    private static <R extends Record> RecordMapper<R> mapped(R record) {
        return RecordMapper.of((Class<R>) record.getClass());
    }

    private static <R extends Record> Map<String, Object> toValues(R record) {
        return mapped(record).toValues(record);
    }

    /**
     * While {@code reason} is not null, {@link #commit()} refuses with it: for work the engine runs
     * inside a transaction it commits itself, with more writes after the work's (the idempotency
     * record of {@code writeIdempotent}), so that the work cannot commit its writes without them.
     */
    public void refuseCommit(String reason) {
        this.commitRefusal = reason;
    }

    @Override
    public void commit() {
        checkActive();
        if (commitRefusal != null) {
            throw new IllegalStateException(commitRefusal);
        }
        committedLsn = size > 0 ? context.commit(this) : store.lsn();
        state = State.COMMITTED;
    }

    @Override
    public long committedLsn() {
        if (state != State.COMMITTED) {
            throw new IllegalStateException("the transaction " + (state == State.ACTIVE ? "has not committed yet;"
                    + " call commit() first" : "was rolled back; it has no commit LSN"));
        }
        return committedLsn;
    }

    @Override
    public void rollback() {
        checkActive();
        state = State.ROLLED_BACK;
        writes.clear();
    }

    @Override
    public void close() {
        if (state == State.ACTIVE) {
            rollback();
        }
    }

    /** Merges the snapshot's cursor with this transaction's writes (writes win, deletes hide). */
    private static final class MergedCursor implements Store.Cursor {
        private final Store.Cursor base;
        private final java.util.Iterator<Write> mine;
        private boolean baseValid;
        private Write nextMine;
        private long id;
        private byte[] value;

        MergedCursor(Store.Cursor base, NavigableMap<Long, Write> mine) {
            this.base = base;
            this.mine = mine.values().iterator();
            this.baseValid = base.next();
            this.nextMine = this.mine.hasNext() ? this.mine.next() : null;
        }

        @Override
        public boolean next() {
            while (baseValid || nextMine != null) {
                if (nextMine == null || (baseValid && base.id() < nextMine.id())) {
                    id = base.id();
                    value = base.value();
                    baseValid = base.next();
                    return true;
                }
                Write w = nextMine;
                nextMine = mine.hasNext() ? mine.next() : null;
                if (baseValid && base.id() == w.id()) {
                    baseValid = base.next();
                }
                if (w.value() != null) {
                    id = w.id();
                    value = w.value();
                    return true;
                }
            }
            return false;
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public byte[] value() {
            return value;
        }
    }
}
