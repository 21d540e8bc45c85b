package dev.keel;

/**
 * The type of an entity field. The numeric id is stored in the database and never changes.
 * Java value types: TEXT {@code String}, LONG {@code Long}, DOUBLE {@code Double}, BOOLEAN
 * {@code Boolean}, TIMESTAMP {@code java.time.Instant}, BYTES {@code byte[]}, REFERENCE
 * {@code Long} (id of an entity of the target type), VECTOR {@code float[]}.
 */
public enum FieldType {
    TEXT(1, String.class),
    LONG(2, Long.class),
    DOUBLE(3, Double.class),
    BOOLEAN(4, Boolean.class),
    TIMESTAMP(5, java.time.Instant.class),
    BYTES(6, byte[].class),
    REFERENCE(7, Long.class),
    VECTOR(8, float[].class);

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
