package dev.keel;

import dev.keel.internal.entity.RecordMapper;
import dev.keel.internal.entity.SystemTypes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A declared entity type: a name, its ordered fields and its indexes. Declared in code with
 * {@link #builder} or derived from a Java record with {@link #of(Class)}, passed to
 * {@link KeelOptions.Builder#entityType}, and stored in the database on open (where a difference
 * from the stored type is a schema migration; see {@link KeelOptions.Builder#entityType}).
 *
 * <p>Indexes: those declared with {@link Builder#index}, plus one unique index per
 * {@link Field#unique() unique} field ({@code unique_<field>}) and one index per REFERENCE field
 * ({@code ref_<field>}, which finds the referrers of an entity on delete) unless a declared index
 * already starts with that field. Immutable and thread-safe.
 */
public final class EntityType {
    private final String name;
    private final List<Field> fields;
    private final Map<String, Field> byName;
    private final List<Index> indexes;
    private final String renamedFrom;

    static {
        // The engine's own types are built under reserved names through this (see SystemTypes).
        SystemTypes.install(name -> new Builder(name, true));
    }

    private EntityType(String name, List<Field> fields, List<Index> declaredIndexes, String renamedFrom,
            boolean system) {
        this.name = system ? Names.requireValid(name, "entity type name")
                : Names.requireUserTypeName(name, "entity type name");
        this.fields = List.copyOf(fields);
        this.byName = new LinkedHashMap<>();
        for (Field f : this.fields) {
            if (byName.putIfAbsent(f.name(), f) != null) {
                throw new IllegalArgumentException("entity type " + name + " declares field " + f.name() + " twice");
            }
        }
        this.indexes = withImplicitIndexes(declaredIndexes);
        this.renamedFrom = renamedFrom == null ? null : Names.requireUserTypeName(renamedFrom, "old name of type " + name);
    }

    private List<Index> withImplicitIndexes(List<Index> declared) {
        List<Index> all = new ArrayList<>(declared);
        for (Field f : fields) {
            if (f.isUnique() && all.stream().noneMatch(i -> i.isUnique() && i.fields().equals(List.of(f.name())))) {
                all.add(Index.unique(f.name()));
            }
        }
        for (Field f : fields) {
            if (f.type() == FieldType.REFERENCE && all.stream().noneMatch(i -> i.fields().get(0).equals(f.name()))) {
                all.add(Index.on(f.name()).named("ref_" + f.name()));
            }
        }
        Map<String, Index> byIndexName = new LinkedHashMap<>();
        for (Index i : all) {
            if (byIndexName.putIfAbsent(i.name(), i) != null) {
                throw new IllegalArgumentException("entity type " + name + " has two indexes named " + i.name()
                        + "; name one of them with Index.named");
            }
            for (String f : i.fields()) {
                Field field = byName.get(f);
                if (field == null) {
                    throw new IllegalArgumentException("index " + i.name() + " of entity type " + name + " names field "
                            + f + ", which the type does not declare (fields: " + byName.keySet() + ")");
                }
                if (field.type() == FieldType.VECTOR) {
                    throw new IllegalArgumentException("index " + i.name() + " of entity type " + name + " names the"
                            + " VECTOR field " + f + "; vectors cannot be indexed");
                }
            }
        }
        return List.copyOf(all);
    }

    /**
     * Starts the declaration of an entity type named {@code name}.
     *
     * @throws IllegalArgumentException the name is not valid, or starts with {@code keel_}, which is
     *         reserved for KeelDB's own system types
     */
    public static Builder builder(String name) {
        return new Builder(name, false);
    }

    /**
     * Derives an entity type from a record class. Component types map to field types: String to
     * TEXT, long/int/short to LONG, double/float to DOUBLE, boolean to BOOLEAN, Instant to TIMESTAMP,
     * byte[] to BYTES, float[] to VECTOR, and a long annotated {@link Reference} to REFERENCE.
     * Primitive components and components annotated {@link Required} are required; {@link Default}
     * gives a default. The type name is the record's simple name unless {@link EntityName} says
     * otherwise; like {@link #builder}, it must not start with the reserved {@code keel_}.
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

    /** All indexes: the declared ones, then the implicit ones for unique and reference fields. */
    public List<Index> indexes() {
        return indexes;
    }

    /** The name this type was stored under before a rename, or {@code null}; a migration declaration, not stored. */
    public String renamedFromName() {
        return renamedFrom;
    }

    /** A copy under another name (not a reserved one), keeping fields and indexes; for migrations. */
    public EntityType named(String newName) {
        return new EntityType(newName, fields, indexes, null, false);
    }

    /** Equal name, fields and indexes; rename declarations do not count. */
    @Override
    public boolean equals(Object o) {
        return o instanceof EntityType t && name.equals(t.name) && fields.equals(t.fields) && indexes.equals(t.indexes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, fields);
    }

    @Override
    public String toString() {
        return name + fields + (indexes.isEmpty() ? "" : " " + indexes);
    }

    /** Builds an {@link EntityType}; not thread-safe. */
    public static final class Builder {
        private final String name;
        private final List<Field> fields = new ArrayList<>();
        private final List<Index> indexes = new ArrayList<>();
        private String renamedFrom;
        private final boolean system;

        private Builder(String name, boolean system) {
            this.name = system ? Names.requireValid(name, "entity type name")
                    : Names.requireUserTypeName(name, "entity type name");
            this.system = system;
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

        /** Adds a secondary index. */
        public Builder index(Index index) {
            indexes.add(Objects.requireNonNull(index, "index"));
            return this;
        }

        /** Adds a non-unique index on {@code fields}, in this order. */
        public Builder index(String... fields) {
            return index(Index.on(fields));
        }

        /** Adds a unique index on {@code fields} (their combination is unique). */
        public Builder uniqueIndex(String... fields) {
            return index(Index.unique(fields));
        }

        /** Declares that this type was stored under {@code oldName}: on open the stored type is renamed, keeping its data. */
        public Builder renamedFrom(String oldName) {
            this.renamedFrom = Objects.requireNonNull(oldName, "oldName");
            return this;
        }

        public EntityType build() {
            if (fields.isEmpty()) {
                throw new IllegalArgumentException("entity type " + name + " declares no fields");
            }
            return new EntityType(name, fields, indexes, renamedFrom, system);
        }
    }
}
