package dev.keel.internal.store;

import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.StoredIndex;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.index.ByteKeyTree;
import dev.keel.internal.index.IndexEntries;
import java.util.HashMap;
import java.util.Map;

/**
 * The in-memory {@link Store}: one persistent {@link LongRadixTree} (a 256-way trie indexed by the
 * dense entity ids) per entity type, values kept encoded, and, once {@link #withIndexes() indexed},
 * one persistent {@link ByteKeyTree} per secondary index. A batch edits transient copies of the
 * touched trees (nodes shared with the previous version are copied once, new nodes are mutated in
 * place) and publishes new roots; on an indexed store each put or delete also replaces the
 * entity's old index keys by its new ones in the same batch (see {@link IndexBuilder} for the bulk
 * build and the unique check).
 */
public final class MemStore implements Store {
    public static final MemStore EMPTY = new MemStore(0, Schema.EMPTY, Map.of(), Map.of(), null);

    private final long lsn;
    private final Schema schema;
    private final Map<Integer, LongRadixTree> trees;
    private final Map<Integer, Long> nextIds;
    /** Index trees by {@link #indexSlot}; null when this version is not indexed. */
    private final Map<Long, ByteKeyTree> indexes;

    MemStore(long lsn, Schema schema, Map<Integer, LongRadixTree> trees, Map<Integer, Long> nextIds,
            Map<Long, ByteKeyTree> indexes) {
        this.lsn = lsn;
        this.schema = schema;
        this.trees = trees;
        this.nextIds = nextIds;
        this.indexes = indexes;
    }

    static long indexSlot(int typeId, int indexId) {
        return ((long) typeId << 32) | indexId;
    }

    /** A store loaded from a checkpoint. */
    public static MemStore of(long lsn, Schema schema, Map<Integer, LongRadixTree> trees, Map<Integer, Long> nextIds) {
        return new MemStore(lsn, schema, Map.copyOf(trees), Map.copyOf(nextIds), null);
    }

    @Override
    public boolean indexed() {
        return indexes != null;
    }

    @Override
    public ByteKeyTree index(int typeId, int indexId) {
        if (indexes == null) {
            throw new IllegalStateException("store version at LSN " + lsn + " is not indexed");
        }
        ByteKeyTree t = indexes.get(indexSlot(typeId, indexId));
        if (t == null) {
            throw new IllegalStateException("no index " + indexId + " of type id " + typeId + " at LSN " + lsn);
        }
        return t;
    }

    @Override
    public MemStore withIndexes() {
        return new MemStore(lsn, schema, trees, nextIds, IndexBuilder.build(this));
    }

    Map<Integer, LongRadixTree> trees() {
        return trees;
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
        private final Map<Long, ByteKeyTree.Editor> indexEditors = new HashMap<>();
        private final Map<Integer, Long> reserved = new HashMap<>();
        private Schema newSchema = schema;
        private boolean applied;

        /**
         * Whether puts and deletes change index entries: the store is indexed and the schema's types
         * are unchanged (a new schema that only records migration step progress keeps them).
         */
        private boolean maintainsIndexes() {
            return indexes != null && (newSchema == schema || newSchema.sameTypesAs(schema));
        }

        /** Replaces the index keys of entity {@code id} for {@code before} by those for {@code after} (either may be null). */
        private void reindex(int typeId, long id, byte[] before, byte[] after) {
            StoredType t = schema.byId(typeId);
            if (t == null || t.indexes().isEmpty() || before == after) {
                return;
            }
            byte[][] old = IndexEntries.keys(t, id, before);
            byte[][] now = IndexEntries.keys(t, id, after);
            for (int k = 0; k < t.indexes().size(); k++) {
                byte[] o = old == null ? null : old[k];
                byte[] n = now == null ? null : now[k];
                if (o != null && n != null && java.util.Arrays.equals(o, n)) {
                    continue;
                }
                StoredIndex ix = t.indexes().get(k);
                ByteKeyTree.Editor e = indexEditors.computeIfAbsent(indexSlot(typeId, ix.indexId()),
                        slot -> index(typeId, ix.indexId()).edit());
                if (o != null) {
                    e.remove(o);
                }
                if (n != null) {
                    e.add(n);
                }
            }
        }

        private LongRadixTree.Editor editor(int typeId) {
            return editors.computeIfAbsent(typeId, k -> trees.getOrDefault(k, LongRadixTree.empty()).edit());
        }

        @Override
        public void put(int typeId, long id, byte[] value) {
            if (maintainsIndexes()) {
                reindex(typeId, id, get(typeId, id), value);
            }
            editor(typeId).put(id, value);
        }

        @Override
        public boolean delete(int typeId, long id) {
            if (maintainsIndexes()) {
                reindex(typeId, id, get(typeId, id), null);
            }
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
                return newLsn == lsn ? MemStore.this : new MemStore(newLsn, schema, trees, nextIds, indexes);
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
            if (indexes == null) {
                return new MemStore(newLsn, newSchema, t, ids, null);
            }
            if (!maintainsIndexes()) {
                return new MemStore(newLsn, newSchema, t, ids, null).withIndexes();
            }
            Map<Long, ByteKeyTree> ix = indexes;
            if (!indexEditors.isEmpty()) {
                ix = new HashMap<>(indexes);
                for (Map.Entry<Long, ByteKeyTree.Editor> e : indexEditors.entrySet()) {
                    ix.put(e.getKey(), e.getValue().build());
                }
            }
            return new MemStore(newLsn, newSchema, t, ids, ix);
        }
    }
}
