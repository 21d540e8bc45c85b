package dev.keel;

import dev.keel.internal.entity.Values;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A stored entity as read from a snapshot: type, database-assigned id, version and field values.
 * The version is the log sequence number of the commit that last wrote the entity; it grows with
 * every change. Immutable (byte and vector values are copied on the way in and out).
 */
public final class Entity {
    private final String type;
    private final long id;
    private final long version;
    private final String[] names;
    private final Object[] slots;
    private volatile Map<String, Object> values;

    /** For the engine; values must already be validated and owned by this entity. */
    public Entity(String type, long id, long version, Map<String, Object> values) {
        this(type, id, version, values.keySet().toArray(new String[0]), values.values().toArray());
    }

    /**
     * For the engine: field names in declaration order and their values ({@code null} for none),
     * owned by this entity from now on; {@code names} may be shared between entities.
     */
    public Entity(String type, long id, long version, String[] names, Object[] slots) {
        if (names.length != slots.length) {
            throw new IllegalArgumentException(names.length + " names for " + slots.length + " values");
        }
        this.type = type;
        this.id = id;
        this.version = version;
        this.names = names;
        this.slots = slots;
    }

    public String type() {
        return type;
    }

    public long id() {
        return id;
    }

    public long version() {
        return version;
    }

    /**
     * Non-null field values by field name, in field declaration order. Unmodifiable; byte and vector
     * values in it are copies.
     */
    public Map<String, Object> values() {
        Map<String, Object> v = values;
        if (v == null) {
            Map<String, Object> m = new LinkedHashMap<>();
            boolean arrays = false;
            for (int i = 0; i < names.length; i++) {
                if (slots[i] != null) {
                    arrays |= slots[i] instanceof byte[] || slots[i] instanceof float[];
                    m.put(names[i], Values.copyOf(slots[i]));
                }
            }
            v = Collections.unmodifiableMap(m);
            if (!arrays) {
                values = v;
            }
        }
        return v;
    }

    private Object slot(String field) {
        for (int i = 0; i < names.length; i++) {
            if (names[i] == field || names[i].equals(field)) {
                return slots[i];
            }
        }
        return null;
    }

    /** The value of a field, or {@code null} when it has none. Byte and vector values are copies. */
    public Object get(String field) {
        return Values.copyOf(slot(java.util.Objects.requireNonNull(field, "field")));
    }

    public String getText(String field) {
        return (String) typed(field, String.class);
    }

    public Long getLong(String field) {
        return (Long) typed(field, Long.class);
    }

    public Double getDouble(String field) {
        return (Double) typed(field, Double.class);
    }

    public Boolean getBoolean(String field) {
        return (Boolean) typed(field, Boolean.class);
    }

    public Instant getTimestamp(String field) {
        return (Instant) typed(field, Instant.class);
    }

    public byte[] getBytes(String field) {
        return (byte[]) Values.copyOf(typed(field, byte[].class));
    }

    public float[] getVector(String field) {
        return (float[]) Values.copyOf(typed(field, float[].class));
    }

    private Object typed(String field, Class<?> expected) {
        Object v = slot(Objects.requireNonNull(field, "field"));
        if (v != null && !expected.isInstance(v)) {
            throw new IllegalArgumentException("field " + type + "." + field + " holds a "
                    + v.getClass().getSimpleName() + ", not a " + expected.getSimpleName());
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Entity e) || id != e.id || version != e.version || !type.equals(e.type)
                || !values().keySet().equals(e.values().keySet())) {
            return false;
        }
        for (Map.Entry<String, Object> v : values().entrySet()) {
            if (!Values.equal(v.getValue(), e.values().get(v.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, id, version);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(type).append('#').append(id).append(" v").append(version).append(" {");
        String sep = "";
        for (Map.Entry<String, Object> v : values().entrySet()) {
            sb.append(sep).append(v.getKey()).append('=').append(Values.toString(v.getValue()));
            sep = ", ";
        }
        return sb.append('}').toString();
    }
}
