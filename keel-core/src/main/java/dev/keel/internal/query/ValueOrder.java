package dev.keel.internal.query;

import dev.keel.FieldType;
import java.time.Instant;
import java.util.Arrays;

/**
 * The order of field values that queries sort by, identical to the order of their index keys (see
 * {@code IndexKeys}) so that reading an index and sorting give the same results: numbers and
 * timestamps by value (doubles as {@link Double#compare}: -0.0 before 0.0, NaN last), text by
 * Unicode code point (the order of its UTF-8 bytes, not of its UTF-16 units), booleans false
 * first, bytes unsigned; a missing value before every value.
 */
final class ValueOrder {
    private ValueOrder() {
    }

    static int compare(FieldType type, Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        return switch (type) {
            case TEXT -> compareCodePoints((String) a, (String) b);
            case INT -> Integer.compare((Integer) a, (Integer) b);
            case LONG, REFERENCE -> Long.compare((Long) a, (Long) b);
            case DOUBLE -> Double.compare((Double) a, (Double) b);
            case BOOLEAN -> Boolean.compare((Boolean) a, (Boolean) b);
            case TIMESTAMP -> ((Instant) a).compareTo((Instant) b);
            case BYTES -> Arrays.compareUnsigned((byte[]) a, (byte[]) b);
            case VECTOR -> throw new IllegalArgumentException("VECTOR values have no order");
        };
    }

    /** Code point order: UTF-16 order except that surrogates (D800-DFFF) sort after E000-FFFF. */
    static int compareCodePoints(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return shifted(x) - shifted(y);
            }
        }
        return a.length() - b.length();
    }

    private static int shifted(char c) {
        if (c >= 0xD800) {
            return c >= 0xE000 ? c - 0x800 : c + 0x2000;
        }
        return c;
    }
}
