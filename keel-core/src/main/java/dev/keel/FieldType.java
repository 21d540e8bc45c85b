package dev.keel;

/**
 * The type of an entity field. The numeric id is stored in the database and never changes.
 * Java value types: TEXT {@code String}, LONG {@code Long}, DOUBLE {@code Double}, BOOLEAN
 * {@code Boolean}, TIMESTAMP {@code java.time.Instant}, BYTES {@code byte[]}, REFERENCE
 * {@code Long} (id of an entity of the target type), VECTOR {@code float[]}, INT {@code Integer}.
 * Widening a field's type (INT to LONG to DOUBLE) is a compatible schema change; see
 * {@link #widensTo(FieldType)}.
 */
public enum FieldType {
    TEXT(1, String.class),
    LONG(2, Long.class),
    DOUBLE(3, Double.class),
    BOOLEAN(4, Boolean.class),
    TIMESTAMP(5, java.time.Instant.class),
    BYTES(6, byte[].class),
    REFERENCE(7, Long.class),
    VECTOR(8, float[].class),
    INT(9, Integer.class);

    private final int id;
    private final Class<?> javaType;

    FieldType(int id, Class<?> javaType) {
        this.id = id;
        this.javaType = javaType;
    }

    /** Stable id written to disk. */
    public int id() {
        return id;
    }

    /** The Java class of values of this type. */
    public Class<?> javaType() {
        return javaType;
    }

    /**
     * Whether a stored field of this type may be redeclared as {@code wider} and its values converted:
     * INT to LONG or DOUBLE, LONG to DOUBLE (a long that a double cannot hold exactly stops the
     * migration, naming the entity), and any type to itself.
     */
    public boolean widensTo(FieldType wider) {
        return this == wider || (this == INT && (wider == LONG || wider == DOUBLE)) || (this == LONG && wider == DOUBLE);
    }

    /** The type with the given stable id, or {@code null}. */
    public static FieldType byId(int id) {
        for (FieldType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}
