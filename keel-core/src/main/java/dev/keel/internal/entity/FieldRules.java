package dev.keel.internal.entity;

import dev.keel.ConstraintViolationException;
import dev.keel.Field;
import dev.keel.FieldType;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * The value rules of one {@link Field} in checkable form (the pattern compiled once): bounds,
 * lengths, pattern and allowed values. Required-ness, types, uniqueness and references are checked
 * elsewhere (codec, indexes, commit). Immutable.
 */
public final class FieldRules {
    private final Field field;
    private final Pattern pattern;
    private final boolean any;

    private FieldRules(Field field) {
        this.field = field;
        this.pattern = field.pattern() != null ? Pattern.compile(field.pattern()) : null;
        this.any = field.min() != null || field.max() != null || field.minLength() > 0 || field.maxLength() >= 0
                || pattern != null || field.allowedValues() != null;
    }

    public static FieldRules of(Field field) {
        return new FieldRules(field);
    }

    /** Whether the field has any value rule at all (most have none: the check is then free). */
    public boolean hasRules() {
        return any;
    }

    /**
     * Checks a value already coerced to the field's type.
     *
     * @throws ConstraintViolationException naming type, field, value and the broken rule
     */
    public void check(String typeName, Object value) {
        if (any) {
            String broken = brokenRule(value);
            if (broken != null) {
                throw new ConstraintViolationException(typeName, field.name(), value, ruleName(broken), broken);
            }
        }
    }

    /** A description of the first rule the (coerced, non-null) value breaks, or null; it starts with the rule's name. */
    public String brokenRule(Object value) {
        if (!any) {
            return null;
        }
        if (field.min() != null && compare(value, field.min()) < 0) {
            return "min: must be at least " + Values.toString(field.min());
        }
        if (field.max() != null && compare(value, field.max()) > 0) {
            return "max: must be at most " + Values.toString(field.max());
        }
        if (field.minLength() > 0 || field.maxLength() >= 0) {
            int length = length(value);
            if (length < field.minLength() || (field.maxLength() >= 0 && length > field.maxLength())) {
                return "length: must be " + field.minLength() + " to " + (field.maxLength() >= 0 ? field.maxLength() : "any")
                        + " " + unit() + " long, is " + length;
            }
        }
        if (pattern != null && !pattern.matcher((String) value).matches()) {
            return "pattern: must match /" + field.pattern() + "/";
        }
        if (field.allowedValues() != null && !field.allowedValues().contains(value)) {
            return "oneOf: must be one of " + field.allowedValues().stream().map(Values::toString).toList();
        }
        return null;
    }

    private static String ruleName(String broken) {
        return broken.substring(0, broken.indexOf(':'));
    }

    private String unit() {
        return switch (field.type()) {
            case TEXT -> "code points";
            case BYTES -> "bytes";
            default -> "dimensions";
        };
    }

    private static int length(Object value) {
        if (value instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (value instanceof byte[] b) {
            return b.length;
        }
        return ((float[]) value).length;
    }

    /** Compares two values of one ordered field type (INT, LONG, DOUBLE, TIMESTAMP). */
    @SuppressWarnings("unchecked")
    public static int compare(Object a, Object b) {
        if (a instanceof Double x && b instanceof Double y) {
            return Double.compare(x, y);
        }
        if (a instanceof Instant || a instanceof Long || a instanceof Integer) {
            return ((Comparable<Object>) a).compareTo(b);
        }
        throw new IllegalArgumentException("values of " + a.getClass().getSimpleName() + " are not ordered");
    }

    /** Whether values of the type have an order for min/max. */
    public static boolean ordered(FieldType type) {
        return type == FieldType.INT || type == FieldType.LONG || type == FieldType.DOUBLE || type == FieldType.TIMESTAMP;
    }
}
