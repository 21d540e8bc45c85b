package dev.keel.internal.index;

import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.StoredIndex;
import dev.keel.internal.entity.StoredType;

/** The index entries (keys, see {@link IndexKeys}) an entity contributes to the indexes of its type. */
public final class IndexEntries {
    private IndexEntries() {
    }

    /**
     * The key of every index of {@code type} for the entity {@code id} encoded as {@code encoded}, in
     * the order of {@link StoredType#indexes()}; null when {@code encoded} is null (no entity).
     */
    public static byte[][] keys(StoredType type, long id, byte[] encoded) {
        if (encoded == null) {
            return null;
        }
        Object[] slots = EntityCodec.slots(type, encoded);
        byte[][] keys = new byte[type.indexes().size()][];
        for (int k = 0; k < keys.length; k++) {
            keys[k] = key(type.indexes().get(k), id, slots);
        }
        return keys;
    }

    /** The key of one index for an entity's decoded field values. */
    public static byte[] key(StoredIndex index, long id, Object[] slots) {
        return IndexKeys.key(index.types(), index.values(slots), id);
    }

    /** Whether a unique index treats the key as taking part in uniqueness: no indexed value is missing. */
    public static boolean complete(StoredIndex index, Object[] slots) {
        for (int p : index.positions()) {
            if (slots[p] == null) {
                return false;
            }
        }
        return true;
    }
}
