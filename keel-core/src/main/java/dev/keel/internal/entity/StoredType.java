package dev.keel.internal.entity;

import dev.keel.EntityType;
import dev.keel.Field;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An entity type as stored: the declared {@link EntityType} plus the stable numeric ids the
 * on-disk formats use for the type and each of its fields (field ids never change or get reused,
 * so later schema evolution can rename and drop fields without rewriting data).
 */
public final class StoredType {
    private final int typeId;
    private final EntityType type;
    private final int[] fieldIds;
    private final int[] indexByFieldId;
    private final String[] names;
    private final Map<String, Integer> indexByName = new HashMap<>();

    public StoredType(int typeId, EntityType type, int[] fieldIds) {
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
    }

    /** A new stored type whose field ids are 1..n in declaration order. */
    public static StoredType create(int typeId, EntityType type) {
        int[] ids = new int[type.fields().size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i + 1;
        }
        return new StoredType(typeId, type, ids);
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
