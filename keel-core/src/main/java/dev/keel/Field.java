package dev.keel;

import dev.keel.internal.entity.FieldRules;
import dev.keel.internal.entity.Values;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One field of an {@link EntityType}: name, type, and the rules every stored value must keep
 * (checked on every write, naming type, field, value and rule when broken):
 *
 * <ul>
 *   <li>{@link #required()}: a value in every entity;
 *   <li>{@link #unique()}: no two entities share a value (a unique index; entities without a value
 *       do not collide);
 *   <li>{@link #min}/{@link #max}: bounds, inclusive, for INT, LONG, DOUBLE and TIMESTAMP;
 *   <li>{@link #length}/{@link #maxLength}: for TEXT in code points, BYTES in bytes, VECTOR in
 *       dimensions;
 *   <li>{@link #pattern}: a regular expression a TEXT value must match as a whole;
 *   <li>{@link #oneOf}: the allowed values (an enum);
 *   <li>for REFERENCE fields the target type, which must exist at write time, and
 *       {@link #onDelete} (RESTRICT unless declared).
 * </ul>
 *
 * {@link #renamedFrom} declares a rename for schema evolution; it is not stored. Immutable: every
 * modifier returns a copy.
 */
public final class Field {
    private final String name;
    private final FieldType type;
    private final boolean required;
    private final Object defaultValue;
    private final String target;
    private final OnDelete onDelete;
    private final boolean unique;
    private final Object min;
    private final Object max;
    private final int minLength;
    private final int maxLength;
    private final String pattern;
    private final List<Object> allowed;
    private final String renamedFrom;

    private Field(Spec s) {
        this.name = Names.requireValid(s.name, "field name");
        this.type = Objects.requireNonNull(s.type, "type");
        String what = "field " + name + " (" + type + ")";
        if (type == FieldType.REFERENCE) {
            Names.requireValid(s.target, "reference target type of field " + name);
        } else if (s.target != null || s.onDelete != null) {
            throw new IllegalArgumentException(what + ": only REFERENCE fields have a target type and an on-delete action");
        }
        this.required = s.required;
        this.target = s.target;
        this.onDelete = type == FieldType.REFERENCE ? (s.onDelete != null ? s.onDelete : OnDelete.RESTRICT) : null;
        if (onDelete == OnDelete.SET_NULL && required) {
            throw new IllegalArgumentException(what + " is required, so ON DELETE SET_NULL could not clear it: make the"
                    + " field optional, or use CASCADE or RESTRICT");
        }
        this.unique = s.unique;
        if (unique && type == FieldType.VECTOR) {
            throw new IllegalArgumentException(what + ": VECTOR fields cannot be unique (they cannot be indexed)");
        }
        boolean ordered = type == FieldType.INT || type == FieldType.LONG || type == FieldType.DOUBLE
                || type == FieldType.TIMESTAMP;
        if ((s.min != null || s.max != null) && !ordered) {
            throw new IllegalArgumentException(what + ": min/max apply to INT, LONG, DOUBLE and TIMESTAMP fields;"
                    + " use length for TEXT, BYTES and VECTOR");
        }
        this.min = s.min == null ? null : Values.coerce(type, s.min, () -> "min of " + what);
        this.max = s.max == null ? null : Values.coerce(type, s.max, () -> "max of " + what);
        if (min != null && max != null && FieldRules.compare(min, max) > 0) {
            throw new IllegalArgumentException(what + ": min " + Values.toString(min) + " is above max "
                    + Values.toString(max));
        }
        boolean sized = type == FieldType.TEXT || type == FieldType.BYTES || type == FieldType.VECTOR;
        if ((s.minLength > 0 || s.maxLength >= 0) && !sized) {
            throw new IllegalArgumentException(what + ": length applies to TEXT, BYTES and VECTOR fields; use min/max"
                    + " for numbers and timestamps");
        }
        if (s.minLength < 0 || (s.maxLength >= 0 && s.maxLength < s.minLength)) {
            throw new IllegalArgumentException(what + ": length must be 0 <= min <= max, was " + s.minLength + ".."
                    + s.maxLength);
        }
        this.minLength = s.minLength;
        this.maxLength = s.maxLength;
        if (s.pattern != null) {
            if (type != FieldType.TEXT) {
                throw new IllegalArgumentException(what + ": pattern applies to TEXT fields only");
            }
            try {
                Pattern.compile(s.pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(what + ": pattern does not compile: " + e.getMessage(), e);
            }
        }
        this.pattern = s.pattern;
        if (s.allowed != null) {
            if (type == FieldType.BYTES || type == FieldType.VECTOR) {
                throw new IllegalArgumentException(what + ": oneOf does not apply to " + type + " fields");
            }
            if (s.allowed.isEmpty()) {
                throw new IllegalArgumentException(what + ": oneOf needs at least one allowed value");
            }
            List<Object> values = new ArrayList<>();
            for (Object v : s.allowed) {
                Object c = Values.coerce(type, Objects.requireNonNull(v, "allowed value"), () -> "allowed value of " + what);
                if (values.contains(c)) {
                    throw new IllegalArgumentException(what + ": oneOf lists " + Values.toString(c) + " twice");
                }
                values.add(c);
            }
            this.allowed = Collections.unmodifiableList(values);
        } else {
            this.allowed = null;
        }
        this.renamedFrom = s.renamedFrom == null ? null : Names.requireValid(s.renamedFrom, "old name of field " + name);
        this.defaultValue = s.defaultValue == null ? null : Values.coerce(type, s.defaultValue, () -> "default of " + what);
        if (defaultValue != null) {
            String broken = FieldRules.of(this).brokenRule(defaultValue);
            if (broken != null) {
                throw new IllegalArgumentException(what + ": default " + Values.toString(defaultValue) + " breaks its own"
                        + " rule: " + broken);
            }
        }
    }

    public static Field of(String name, FieldType type) {
        Spec s = new Spec();
        s.name = name;
        s.type = type;
        return new Field(s);
    }

    public static Field text(String name) {
        return of(name, FieldType.TEXT);
    }

    public static Field intField(String name) {
        return of(name, FieldType.INT);
    }

    public static Field longField(String name) {
        return of(name, FieldType.LONG);
    }

    public static Field doubleField(String name) {
        return of(name, FieldType.DOUBLE);
    }

    public static Field bool(String name) {
        return of(name, FieldType.BOOLEAN);
    }

    public static Field timestamp(String name) {
        return of(name, FieldType.TIMESTAMP);
    }

    public static Field bytes(String name) {
        return of(name, FieldType.BYTES);
    }

    public static Field vector(String name) {
        return of(name, FieldType.VECTOR);
    }

    /** A reference to an entity of {@code targetType}, stored as that entity's id; deletes are RESTRICTed. */
    public static Field reference(String name, String targetType) {
        Spec s = new Spec();
        s.name = name;
        s.type = FieldType.REFERENCE;
        s.target = targetType;
        return new Field(s);
    }

    /** A copy of this field that must have a value in every stored entity. */
    public Field required() {
        Spec s = spec();
        s.required = true;
        return new Field(s);
    }

    /** A copy of this field whose value, when an insert leaves it out, is {@code value}. */
    public Field defaultValue(Object value) {
        Spec s = spec();
        s.defaultValue = Objects.requireNonNull(value, "default value");
        return new Field(s);
    }

    /** A copy of this field whose values must be unique among the entities of its type (a unique index). */
    public Field unique() {
        Spec s = spec();
        s.unique = true;
        return new Field(s);
    }

    /** A copy with the smallest allowed value (inclusive); for INT, LONG, DOUBLE and TIMESTAMP. */
    public Field min(Object value) {
        Spec s = spec();
        s.min = Objects.requireNonNull(value, "min");
        return new Field(s);
    }

    /** A copy with the largest allowed value (inclusive); for INT, LONG, DOUBLE and TIMESTAMP. */
    public Field max(Object value) {
        Spec s = spec();
        s.max = Objects.requireNonNull(value, "max");
        return new Field(s);
    }

    /** A copy whose values have {@code min} to {@code max} code points (TEXT), bytes (BYTES) or dimensions (VECTOR). */
    public Field length(int min, int max) {
        Spec s = spec();
        s.minLength = min;
        s.maxLength = max;
        return new Field(s);
    }

    /** Like {@link #length(int, int)} with no lower bound. */
    public Field maxLength(int max) {
        return length(0, max);
    }

    /** A copy whose TEXT values must match {@code regex} as a whole ({@link java.util.regex.Pattern} syntax). */
    public Field pattern(String regex) {
        Spec s = spec();
        s.pattern = Objects.requireNonNull(regex, "regex");
        return new Field(s);
    }

    /** A copy whose values must be one of {@code values} (an enum). */
    public Field oneOf(Object... values) {
        Spec s = spec();
        s.allowed = List.of(values);
        return new Field(s);
    }

    /** A copy of this REFERENCE field with the action taken when the referenced entity is deleted. */
    public Field onDelete(OnDelete action) {
        Spec s = spec();
        s.onDelete = Objects.requireNonNull(action, "action");
        return new Field(s);
    }

    /**
     * Declares that this field was stored under {@code oldName}: on open, a stored field of that name
     * is renamed to this one and keeps its values. A declaration for migration only; not stored.
     */
    public Field renamedFrom(String oldName) {
        Spec s = spec();
        s.renamedFrom = Objects.requireNonNull(oldName, "oldName");
        return new Field(s);
    }

    /** A copy without a rename declaration (the field as stored). */
    public Field withoutRename() {
        Spec s = spec();
        s.renamedFrom = null;
        return new Field(s);
    }

    /** A copy under another name; for migrations. */
    public Field named(String newName) {
        Spec s = spec();
        s.name = newName;
        return new Field(s);
    }

    private Spec spec() {
        Spec s = new Spec();
        s.name = name;
        s.type = type;
        s.required = required;
        s.defaultValue = defaultValue;
        s.target = target;
        s.onDelete = type == FieldType.REFERENCE ? onDelete : null;
        s.unique = unique;
        s.min = min;
        s.max = max;
        s.minLength = minLength;
        s.maxLength = maxLength;
        s.pattern = pattern;
        s.allowed = allowed;
        s.renamedFrom = renamedFrom;
        return s;
    }

    public String name() {
        return name;
    }

    public FieldType type() {
        return type;
    }

    public boolean isRequired() {
        return required;
    }

    public boolean isUnique() {
        return unique;
    }

    /** The default value, or {@code null} when the field has none. */
    public Object defaultValue() {
        return Values.copyOf(defaultValue);
    }

    /** For REFERENCE fields the target entity type, else {@code null}. */
    public String target() {
        return target;
    }

    /** For REFERENCE fields the action on delete of the target (RESTRICT unless declared), else {@code null}. */
    public OnDelete onDeleteAction() {
        return onDelete;
    }

    /** The smallest allowed value, or {@code null}. */
    public Object min() {
        return min;
    }

    /** The largest allowed value, or {@code null}. */
    public Object max() {
        return max;
    }

    /** The smallest allowed length (0 when unbounded). */
    public int minLength() {
        return minLength;
    }

    /** The largest allowed length, or -1 when unbounded. */
    public int maxLength() {
        return maxLength;
    }

    /** The regular expression TEXT values must match, or {@code null}. */
    public String pattern() {
        return pattern;
    }

    /** The allowed values, or {@code null} when any value of the type is allowed. */
    public List<Object> allowedValues() {
        return allowed;
    }

    /** The name this field was stored under before a rename, or {@code null}. */
    public String renamedFromName() {
        return renamedFrom;
    }

    /** Whether {@code o} has the same rules: unique, bounds, lengths, pattern, allowed values, on-delete action. */
    public boolean sameRules(Field o) {
        return unique == o.unique && Values.equal(min, o.min) && Values.equal(max, o.max) && minLength == o.minLength
                && maxLength == o.maxLength && Objects.equals(pattern, o.pattern) && Objects.equals(allowed, o.allowed)
                && onDelete == o.onDelete;
    }

    /** Equal name, type, required-ness, target, default and rules; a rename declaration does not count. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Field f && name.equals(f.name) && type == f.type && required == f.required
                && Objects.equals(target, f.target) && Values.equal(defaultValue, f.defaultValue) && sameRules(f);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, required, target, unique);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(':').append(type);
        if (target != null) {
            sb.append("->").append(target);
            if (onDelete != OnDelete.RESTRICT) {
                sb.append(" onDelete=").append(onDelete);
            }
        }
        if (required) {
            sb.append(" required");
        }
        if (unique) {
            sb.append(" unique");
        }
        if (defaultValue != null) {
            sb.append(" default=").append(Values.toString(defaultValue));
        }
        if (min != null) {
            sb.append(" min=").append(Values.toString(min));
        }
        if (max != null) {
            sb.append(" max=").append(Values.toString(max));
        }
        if (minLength > 0 || maxLength >= 0) {
            sb.append(" length=").append(minLength).append("..").append(maxLength >= 0 ? String.valueOf(maxLength) : "");
        }
        if (pattern != null) {
            sb.append(" pattern=/").append(pattern).append('/');
        }
        if (allowed != null) {
            sb.append(" oneOf=").append(allowed.stream().map(Values::toString).toList());
        }
        if (renamedFrom != null) {
            sb.append(" (renamed from ").append(renamedFrom).append(')');
        }
        return sb.toString();
    }

    /** Mutable attributes for the copy-on-modify constructor. */
    private static final class Spec {
        String name;
        FieldType type;
        boolean required;
        Object defaultValue;
        String target;
        OnDelete onDelete;
        boolean unique;
        Object min;
        Object max;
        int minLength;
        int maxLength = -1;
        String pattern;
        List<Object> allowed;
        String renamedFrom;
    }
}
