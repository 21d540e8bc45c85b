package dev.keel.internal.entity;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Index;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An entity type as stored: the declared {@link EntityType} plus the stable numeric ids the
 * on-disk formats use for the type, each of its fields and each of its indexes. Field and index
 * ids never change and are never reused ({@link #nextFieldId()} and {@link #nextIndexId()} only
 * grow), so schema evolution renames and drops fields without rewriting data, and a value stored
 * under a dropped field id can never be mistaken for a later field's.
 */
public final class StoredType {
    private final int typeId;
    private final EntityType type;
    private final int[] fieldIds;
    private final int[] indexByFieldId;
    private final String[] names;
    private final Map<String, Integer> indexByName = new HashMap<>();
    private final FieldRules[] rules;
    private final boolean anyRules;
    private final List<StoredIndex> indexes;
    private final int nextFieldId;
    private final int nextIndexId;
    private final boolean uniqueOrReference;

    /** A stored type whose indexes get ids 1..m in order and whose next ids follow the highest in use. */
    public StoredType(int typeId, EntityType type, int[] fieldIds) {
        this(typeId, type, fieldIds, sequence(type.indexes().size()), 0, 0);
    }

    /**
     * @param nextFieldId the id the next added field gets (at least the highest field id + 1; 0 for that)
     * @param nextIndexId the id the next added index gets (at least the highest index id + 1; 0 for that)
     */
    public StoredType(int typeId, EntityType type, int[] fieldIds, int[] indexIds, int nextFieldId, int nextIndexId) {
        if (fieldIds.length != type.fields().size()) {
            throw new IllegalArgumentException("type " + type.name() + " has " + type.fields().size()
                    + " fields but " + fieldIds.length + " field ids");
        }
        this.typeId = typeId;
        this.type = type;
        this.fieldIds = fieldIds.clone();
        int maxId = 0;
        for (int id : fieldIds) {
            if (id < 1 || id > 65_535) {
                throw new IllegalArgumentException("type " + type.name() + " has field id " + id + " outside 1..65535");
            }
            maxId = Math.max(maxId, id);
        }
        this.indexByFieldId = new int[maxId + 1];
        java.util.Arrays.fill(indexByFieldId, -1);
        this.names = new String[fieldIds.length];
        for (int i = 0; i < fieldIds.length; i++) {
            if (indexByFieldId[fieldIds[i]] >= 0) {
                throw new IllegalArgumentException("type " + type.name() + " has field id " + fieldIds[i] + " twice");
            }
            indexByFieldId[fieldIds[i]] = i;
            names[i] = type.fields().get(i).name();
            indexByName.put(names[i], i);
        }
        this.nextFieldId = Math.max(nextFieldId, maxId + 1);
        this.rules = new FieldRules[fieldIds.length];
        boolean any = false;
        for (int i = 0; i < rules.length; i++) {
            rules[i] = FieldRules.of(type.fields().get(i));
            any |= rules[i].hasRules();
        }
        this.anyRules = any;
        if (indexIds.length != type.indexes().size()) {
            throw new IllegalArgumentException("type " + type.name() + " has " + type.indexes().size() + " indexes but "
                    + indexIds.length + " index ids");
        }
        List<StoredIndex> idx = new ArrayList<>();
        int maxIndexId = 0;
        for (int k = 0; k < indexIds.length; k++) {
            Index index = type.indexes().get(k);
            if (indexIds[k] < 1 || indexIds[k] > 65_535) {
                throw new IllegalArgumentException("type " + type.name() + " has index id " + indexIds[k] + " outside 1..65535");
            }
            for (StoredIndex other : idx) {
                if (other.indexId() == indexIds[k]) {
                    throw new IllegalArgumentException("type " + type.name() + " has index id " + indexIds[k] + " twice");
                }
            }
            maxIndexId = Math.max(maxIndexId, indexIds[k]);
            int[] positions = new int[index.fields().size()];
            int[] ids = new int[positions.length];
            FieldType[] types = new FieldType[positions.length];
            for (int j = 0; j < positions.length; j++) {
                positions[j] = indexOf(index.fields().get(j));
                ids[j] = fieldIds[positions[j]];
                types[j] = type.fields().get(positions[j]).type();
            }
            idx.add(new StoredIndex(indexIds[k], index, ids, positions, types));
        }
        this.indexes = List.copyOf(idx);
        this.uniqueOrReference = idx.stream().anyMatch(StoredIndex::unique)
                || type.fields().stream().anyMatch(f -> f.type() == FieldType.REFERENCE);
        this.nextIndexId = Math.max(nextIndexId, maxIndexId + 1);
    }

    private static int[] sequence(int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i + 1;
        }
        return ids;
    }

    /** A new stored type whose field ids are 1..n in declaration order and index ids 1..m. */
    public static StoredType create(int typeId, EntityType type) {
        return new StoredType(typeId, type, sequence(type.fields().size()));
    }

    /** The id the next added field gets; ids of dropped fields are never reused. */
    public int nextFieldId() {
        return nextFieldId;
    }

    /** The id the next added index gets. */
    public int nextIndexId() {
        return nextIndexId;
    }

    /** The indexes, in declaration order (implicit ones last). */
    public List<StoredIndex> indexes() {
        return indexes;
    }

    /** The value rules of the field at {@code index}. */
    public FieldRules rules(int index) {
        return rules[index];
    }

    /** Whether writes of this type need the commit-time check: it has a unique index or a reference field. */
    public boolean hasUniqueOrReference() {
        return uniqueOrReference;
    }

    /** Whether any field has value rules (min, max, length, pattern, oneOf). */
    public boolean hasRules() {
        return anyRules;
    }

    public int typeId() {
        return typeId;
    }

    public EntityType type() {
        return type;
    }

    public String name() {
        return type.name();
    }

    public List<Field> fields() {
        return type.fields();
    }

    public int fieldId(int index) {
        return fieldIds[index];
    }

    /** Field position for a stored field id, or -1. */
    public int indexOfFieldId(int fieldId) {
        return fieldId >= 0 && fieldId < indexByFieldId.length ? indexByFieldId[fieldId] : -1;
    }

    /** Field names in declaration order; shared, do not modify. */
    public String[] names() {
        return names;
    }

    /** Field position for a field name, or -1. */
    public int indexOf(String fieldName) {
        Integer i = indexByName.get(fieldName);
        return i == null ? -1 : i;
    }
}
