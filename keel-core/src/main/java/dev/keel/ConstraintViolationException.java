package dev.keel;

/** A write breaks a schema rule; the message names entity type, field, value and rule. */
public final class ConstraintViolationException extends KeelException {
    private final String type;
    private final String field;

    public ConstraintViolationException(String type, String field, String message) {
        super(ErrorCode.CONSTRAINT_VIOLATION, type + "." + field + ": " + message);
        this.type = type;
        this.field = field;
    }

    public String type() {
        return type;
    }

    public String field() {
        return field;
    }
}
