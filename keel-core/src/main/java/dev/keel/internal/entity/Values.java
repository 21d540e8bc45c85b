package dev.keel.internal.entity;

import dev.keel.FieldType;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.Supplier;

/** Field value rules shared by the API and the codec: coercion, defensive copies, equality. */
public final class Values {
    private Values() {
    }

    /**
     * Converts {@code value} to the Java type of {@code type}, accepting lossless widenings (int,
     * short, byte to int or long; float, int to double; Long ids for references).
     *
     * @throws IllegalArgumentException when the value does not fit the type; {@code what} names it
     */
    public static Object coerce(FieldType type, Object value, Supplier<String> what) {
        Object v = switch (type) {
            case TEXT -> value instanceof String ? value : null;
            case INT -> value instanceof Integer || value instanceof Short || value instanceof Byte
                    ? Integer.valueOf(((Number) value).intValue()) : null;
            case LONG, REFERENCE -> value instanceof Long || value instanceof Integer || value instanceof Short
                    || value instanceof Byte ? Long.valueOf(((Number) value).longValue()) : null;
            case DOUBLE -> value instanceof Double || value instanceof Float || value instanceof Integer
                    ? Double.valueOf(((Number) value).doubleValue()) : null;
            case BOOLEAN -> value instanceof Boolean ? value : null;
            case TIMESTAMP -> value instanceof Instant ? value : null;
            case BYTES -> value instanceof byte[] b ? b.clone() : null;
            case VECTOR -> value instanceof float[] f ? f.clone() : null;
        };
        if (v == null) {
            throw new IllegalArgumentException(what.get() + " must be " + type + " (" + type.javaType().getSimpleName()
                    + "), was " + value.getClass().getSimpleName() + " " + toString(value));
        }
        return v;
    }

    /** A defensive copy for mutable values (byte[], float[]); others are returned as they are. */
    public static Object copyOf(Object value) {
        if (value instanceof byte[] b) {
            return b.clone();
        }
        if (value instanceof float[] f) {
            return f.clone();
        }
        return value;
    }

    public static boolean equal(Object a, Object b) {
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.equals(x, y);
        }
        if (a instanceof float[] x && b instanceof float[] y) {
            return Arrays.equals(x, y);
        }
        return a == null ? b == null : a.equals(b);
    }

    public static String toString(Object value) {
        if (value instanceof byte[] b) {
            return "bytes[" + b.length + "]";
        }
        if (value instanceof float[] f) {
            return f.length <= 8 ? Arrays.toString(f) : "vector[" + f.length + "]";
        }
        if (value instanceof String s) {
            return '"' + (s.length() > 64 ? s.substring(0, 64) + "..." : s) + '"';
        }
        return String.valueOf(value);
    }
}
