package dev.keel;

import dev.keel.internal.entity.Values;
import java.util.List;

/**
 * A write breaks a schema rule. The message names the entity type, the field, the value and the
 * rule; {@link #rule()} is one of {@code required}, {@code type}, {@code unknown-field},
 * {@code min}, {@code max}, {@code length}, {@code pattern}, {@code oneOf}, {@code unique},
 * {@code reference} (the target does not exist), {@code restrict} (the entity is still referred
 * to) or {@code id} (an explicit id already taken). Nothing of the failed operation was applied.
 */
public final class ConstraintViolationException extends KeelException {
    private final String type;
    private final String field;
    private final String rule;
    private final String value;
    private final List<Long> conflicting;

    /** A violation without a value worth naming (a missing required field, an unknown field). */
    public ConstraintViolationException(String type, String field, String message) {
        this(type, field, null, ruleOf(message), message, List.of());
    }

    /** A value that breaks {@code rule}; {@code detail} says how (e.g. "must be at least 5"). */
    public ConstraintViolationException(String type, String field, Object value, String rule, String detail) {
        this(type, field, value, rule, detail, List.of());
    }

    /** A value that collides with, or an entity still referred to by, the entities {@code conflicting}. */
    public ConstraintViolationException(String type, String field, Object value, String rule, String detail,
            List<Long> conflicting) {
        super(ErrorCode.CONSTRAINT_VIOLATION, type + "." + field + (value != null ? " = " + Values.toString(value) : "")
                + " breaks rule '" + rule + "': " + detail);
        this.type = type;
        this.field = field;
        this.rule = rule;
        this.value = value == null ? null : Values.toString(value);
        this.conflicting = List.copyOf(conflicting);
    }

    private static String ruleOf(String message) {
        if (message.startsWith("required")) {
            return "required";
        }
        return message.contains("not declared") ? "unknown-field" : message.contains("already exists") ? "id" : "type";
    }

    /** The entity type whose rule was broken. */
    public String type() {
        return type;
    }

    /** The field whose rule was broken ({@code id} for an explicit id that is taken). */
    public String field() {
        return field;
    }

    /** The broken rule (see the class comment). */
    public String rule() {
        return rule;
    }

    /** The offending value as text, or {@code null} when there is none (a missing value). */
    public String value() {
        return value;
    }

    /**
     * The ids of the entities involved: for {@code unique} the entity that already has the value,
     * for {@code restrict} the entities still referring (at most the first 10), else empty.
     */
    public List<Long> conflictingIds() {
        return conflicting;
    }
}
