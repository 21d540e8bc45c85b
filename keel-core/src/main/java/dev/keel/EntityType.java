package dev.keel;

import dev.keel.internal.entity.RecordMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A declared entity type: a name and its ordered fields. Declared in code with {@link #builder} or
 * derived from a Java record with {@link #of(Class)}, passed to {@link KeelOptions.Builder#entityType},
 * and stored in the database on open. Immutable and thread-safe.
 */
public final class EntityType {
    private final String name;
    private final List<Field> fields;
    private final Map<String, Field> byName;

    private EntityType(String name, List<Field> fields) {
        this.name = Names.requireValid(name, "entity type name");
        this.fields = List.copyOf(fields);
        this.byName = new LinkedHashMap<>();
        for (Field f : this.fields) {
            if (byName.putIfAbsent(f.name(), f) != null) {
                throw new IllegalArgumentException("entity type " + name + " declares field " + f.name() + " twice");
            }
        }
    }

    /** Starts the declaration of an entity type named {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Derives an entity type from a record class. Component types map to field types: String to
     * TEXT, long/int/short to LONG, double/float to DOUBLE, boolean to BOOLEAN, Instant to TIMESTAMP,
     * byte[] to BYTES, float[] to VECTOR, and a long annotated {@link Reference} to REFERENCE.
     * Primitive components and components annotated {@link Required} are required; {@link Default}
     * gives a default. The type name is the record's simple name unless {@link EntityName} says
     * otherwise.
     */
    public static EntityType of(Class<? extends Record> recordClass) {
        return RecordMapper.of(recordClass).entityType();
    }

    public String name() {
        return name;
    }

    /** Fields in declaration order. */
    public List<Field> fields() {
        return fields;
    }

    public Optional<Field> field(String fieldName) {
        return Optional.ofNullable(byName.get(fieldName));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EntityType t && name.equals(t.name) && fields.equals(t.fields);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, fields);
    }

    @Override
    public String toString() {
        return name + fields;
    }

    /** Builds an {@link EntityType}; not thread-safe. */
    public static final class Builder {
        private final String name;
        private final List<Field> fields = new ArrayList<>();

        private Builder(String name) {
            this.name = Names.requireValid(name, "entity type name");
        }

        public Builder field(Field field) {
            fields.add(Objects.requireNonNull(field, "field"));
            return this;
        }

        public Builder field(String fieldName, FieldType type) {
            return field(Field.of(fieldName, type));
        }

        public Builder requiredField(String fieldName, FieldType type) {
            return field(Field.of(fieldName, type).required());
        }

        public EntityType build() {
            if (fields.isEmpty()) {
                throw new IllegalArgumentException("entity type " + name + " declares no fields");
            }
            return new EntityType(name, fields);
        }
    }
}
