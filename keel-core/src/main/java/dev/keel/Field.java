package dev.keel;

import dev.keel.internal.entity.Values;
import java.util.Objects;

/**
 * One field of an {@link EntityType}: name, type, whether it is required, its default value and,
 * for references, the target entity type. Immutable.
 */
public final class Field {
    private final String name;
    private final FieldType type;
    private final boolean required;
    private final Object defaultValue;
    private final String target;

    private Field(String name, FieldType type, boolean required, Object defaultValue, String target) {
        this.name = Names.requireValid(name, "field name");
        this.type = Objects.requireNonNull(type, "type");
        this.required = required;
        this.target = target;
        if (type == FieldType.REFERENCE) {
            Names.requireValid(target, "reference target type of field " + name);
        } else if (target != null) {
            throw new IllegalArgumentException("field " + name + " is " + type + "; only REFERENCE fields have a target");
        }
        this.defaultValue = defaultValue == null ? null : Values.coerce(type, defaultValue, () -> "default of field " + name);
    }

    public static Field of(String name, FieldType type) {
        return new Field(name, type, false, null, null);
    }

    public static Field text(String name) {
        return of(name, FieldType.TEXT);
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

    /** A reference to an entity of {@code targetType}, stored as that entity's id. */
    public static Field reference(String name, String targetType) {
        return new Field(name, FieldType.REFERENCE, false, null, targetType);
    }

    /** A copy of this field that must have a value in every stored entity. */
    public Field required() {
        return new Field(name, type, true, defaultValue, target);
    }

    /** A copy of this field whose value, when an insert leaves it out, is {@code value}. */
    public Field defaultValue(Object value) {
        return new Field(name, type, required, Objects.requireNonNull(value, "default value"), target);
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

    /** The default value, or {@code null} when the field has none. */
    public Object defaultValue() {
        return Values.copyOf(defaultValue);
    }

    /** For REFERENCE fields the target entity type, else {@code null}. */
    public String target() {
        return target;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Field f && name.equals(f.name) && type == f.type && required == f.required
                && Objects.equals(target, f.target) && Values.equal(defaultValue, f.defaultValue);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, required, target);
    }

    @Override
    public String toString() {
        return name + ":" + type + (target != null ? "->" + target : "") + (required ? " required" : "")
                + (defaultValue != null ? " default=" + Values.toString(defaultValue) : "");
    }
}
