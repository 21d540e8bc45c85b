package dev.keel.internal.store;

import dev.keel.ConstraintViolationException;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.StoredIndex;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.entity.Values;
import dev.keel.internal.index.ByteKeyTree;
import dev.keel.internal.index.IndexEntries;
import dev.keel.internal.index.IndexKeys;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds every index of a store's schema from its entities in one pass per type: each entity is
 * decoded once, its keys for all indexes of its type collected, each index's keys sorted and
 * bulk-loaded. A unique index is checked on the sorted keys: neighbours with the same values, all
 * present, are a violation naming the type, the fields, the values and both entities (this is how
 * adding a unique index or unique rule to existing data is validated).
 */
final class IndexBuilder {
    private IndexBuilder() {
    }

    static Map<Long, ByteKeyTree> build(MemStore store) {
        Map<Long, ByteKeyTree> built = new HashMap<>();
        for (StoredType t : store.schema().types()) {
            List<StoredIndex> indexes = t.indexes();
            if (indexes.isEmpty()) {
                continue;
            }
            List<List<byte[]>> keys = new ArrayList<>();
            for (int k = 0; k < indexes.size(); k++) {
                keys.add(new ArrayList<>((int) Math.min(store.count(t.typeId()), Integer.MAX_VALUE - 8)));
            }
            boolean[] wanted = new boolean[t.fields().size()];
            for (StoredIndex ix : indexes) {
                for (int p : ix.positions()) {
                    wanted[p] = true;
                }
            }
            Store.Cursor c = store.scan(t.typeId(), Long.MIN_VALUE);
            while (c.next()) {
                Object[] slots = EntityCodec.slots(t, c.value(), wanted);
                for (int k = 0; k < indexes.size(); k++) {
                    keys.get(k).add(IndexEntries.key(indexes.get(k), c.id(), slots));
                }
            }
            for (int k = 0; k < indexes.size(); k++) {
                StoredIndex ix = indexes.get(k);
                byte[][] sorted = keys.get(k).toArray(new byte[0][]);
                keys.set(k, null);
                Arrays.parallelSort(sorted, Arrays::compareUnsigned);
                if (ix.unique()) {
                    checkUnique(store, t, ix, sorted);
                }
                ByteKeyTree.Builder b = ByteKeyTree.builder();
                for (byte[] key : sorted) {
                    b.add(key);
                }
                built.put(MemStore.indexSlot(t.typeId(), ix.indexId()), b.build());
            }
        }
        return built;
    }

    private static void checkUnique(Store store, StoredType t, StoredIndex ix, byte[][] sorted) {
        for (int i = 1; i < sorted.length; i++) {
            if (Arrays.equals(IndexKeys.valuesOf(sorted[i - 1]), IndexKeys.valuesOf(sorted[i]))) {
                long first = IndexKeys.id(sorted[i - 1]);
                long second = IndexKeys.id(sorted[i]);
                Object[] slots = EntityCodec.slots(t, store.get(t.typeId(), second));
                if (IndexEntries.complete(ix, slots)) {
                    Object[] values = ix.values(slots);
                    Object shown = values.length == 1 ? values[0] : Arrays.stream(values).map(Values::toString).toList();
                    throw new ConstraintViolationException(t.name(), String.join(",", ix.index().fields()), shown,
                            "unique", t.name() + "#" + first + " and " + t.name() + "#" + second + " share this value, but"
                            + " index " + ix.name() + " is unique", List.of(first, second));
                }
            }
        }
    }
}
