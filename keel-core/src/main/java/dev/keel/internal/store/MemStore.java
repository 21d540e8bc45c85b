package dev.keel.internal.store;

import dev.keel.internal.entity.Schema;
import java.util.HashMap;
import java.util.Map;

/**
 * The in-memory {@link Store}: one persistent {@link LongRadixTree} (a 256-way trie indexed by the dense entity ids) per entity type, values kept
 * encoded. A batch edits transient copies of the touched trees (nodes shared with the previous
 * version are copied once, new nodes are mutated in place) and publishes new roots.
 */
public final class MemStore implements Store {
    public static final MemStore EMPTY = new MemStore(0, Schema.EMPTY, Map.of(), Map.of());

    private final long lsn;
    private final Schema schema;
    private final Map<Integer, LongRadixTree> trees;
    private final Map<Integer, Long> nextIds;

    MemStore(long lsn, Schema schema, Map<Integer, LongRadixTree> trees, Map<Integer, Long> nextIds) {
        this.lsn = lsn;
        this.schema = schema;
        this.trees = trees;
        this.nextIds = nextIds;
    }

    /** A store loaded from a checkpoint. */
    public static MemStore of(long lsn, Schema schema, Map<Integer, LongRadixTree> trees, Map<Integer, Long> nextIds) {
        return new MemStore(lsn, schema, Map.copyOf(trees), Map.copyOf(nextIds));
    }

    @Override
    public long lsn() {
        return lsn;
    }

    @Override
    public Schema schema() {
        return schema;
    }

    @Override
    public byte[] get(int typeId, long id) {
        LongRadixTree t = trees.get(typeId);
        return t == null ? null : t.get(id);
    }

    @Override
    public long count(int typeId) {
        LongRadixTree t = trees.get(typeId);
        return t == null ? 0 : t.size();
    }

    @Override
    public long nextId(int typeId) {
        long fromTree = 1;
        LongRadixTree t = trees.get(typeId);
        if (t != null && !t.isEmpty()) {
            fromTree = t.maxKey() + 1;
        }
        return Math.max(fromTree, nextIds.getOrDefault(typeId, 1L));
    }

    @Override
    public Cursor scan(int typeId, long fromId) {
        LongRadixTree t = trees.get(typeId);
        if (t == null) {
            return EmptyCursor.INSTANCE;
        }
        LongRadixTree.Cursor c = t.cursor(fromId);
        return new Cursor() {
            @Override
            public boolean next() {
                return c.next();
            }

            @Override
            public long id() {
                return c.key();
            }

            @Override
            public byte[] value() {
                return c.value();
            }
        };
    }

    @Override
    public Batch batch() {
        return new MemBatch();
    }

    private enum EmptyCursor implements Cursor {
        INSTANCE;

        @Override
        public boolean next() {
            return false;
        }

        @Override
        public long id() {
            throw new java.util.NoSuchElementException();
        }

        @Override
        public byte[] value() {
            throw new java.util.NoSuchElementException();
        }
    }

    private final class MemBatch implements Batch {
        private final Map<Integer, LongRadixTree.Editor> editors = new HashMap<>();
        private final Map<Integer, Long> reserved = new HashMap<>();
        private Schema newSchema = schema;
        private boolean applied;

        private LongRadixTree.Editor editor(int typeId) {
            return editors.computeIfAbsent(typeId, k -> trees.getOrDefault(k, LongRadixTree.empty()).edit());
        }

        @Override
        public void put(int typeId, long id, byte[] value) {
            editor(typeId).put(id, value);
        }

        @Override
        public boolean delete(int typeId, long id) {
            return editor(typeId).remove(id);
        }

        @Override
        public byte[] get(int typeId, long id) {
            LongRadixTree.Editor e = editors.get(typeId);
            return e != null ? e.get(id) : MemStore.this.get(typeId, id);
        }

        @Override
        public void schema(Schema schema) {
            this.newSchema = schema;
        }

        @Override
        public void reserveIds(int typeId, long nextId) {
            reserved.merge(typeId, nextId, Math::max);
        }

        @Override
        public Store apply(long newLsn) {
            if (applied) {
                throw new IllegalStateException("batch already applied");
            }
            applied = true;
            if (editors.isEmpty() && reserved.isEmpty() && newSchema == schema) {
                return newLsn == lsn ? MemStore.this : new MemStore(newLsn, schema, trees, nextIds);
            }
            Map<Integer, LongRadixTree> t = new HashMap<>(trees);
            editors.forEach((typeId, e) -> t.put(typeId, e.build()));
            Map<Integer, Long> ids = nextIds;
            if (!reserved.isEmpty()) {
                ids = new HashMap<>(nextIds);
                for (Map.Entry<Integer, Long> r : reserved.entrySet()) {
                    ids.merge(r.getKey(), r.getValue(), Math::max);
                }
            }
            return new MemStore(newLsn, newSchema, t, ids);
        }
    }
}
