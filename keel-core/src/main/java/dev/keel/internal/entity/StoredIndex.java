package dev.keel.internal.entity;

import dev.keel.FieldType;
import dev.keel.Index;

/**
 * An index as stored: its declaration, its stable id within its type (never reused), the stable
 * ids of its fields (so a field rename keeps the index) and, for the type it belongs to, the
 * positions and types of those fields.
 */
public record StoredIndex(int indexId, Index index, int[] fieldIds, int[] positions, FieldType[] types) {

    public String name() {
        return index.name();
    }

    public boolean unique() {
        return index.isUnique();
    }

    /** The values of the indexed fields, in index order, from an entity's slots (declaration order). */
    public Object[] values(Object[] slots) {
        Object[] v = new Object[positions.length];
        for (int i = 0; i < positions.length; i++) {
            v[i] = slots[positions[i]];
        }
        return v;
    }
}
