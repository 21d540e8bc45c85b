package dev.keel.server.schema;

import java.util.List;

/**
 * A schema document that cannot be read: malformed JSON or YAML, or types that are not valid. Lists
 * every error found, each with its path (not only the first), so that one round of fixes is enough.
 */
public final class SchemaDocumentException extends IllegalArgumentException {
    /** At most this many errors are listed in the message; {@link #errors()} holds them all. */
    private static final int LISTED = 20;

    private final List<SchemaError> errors;

    /**
     * @param source what was read, for the message (e.g. {@code "schema file /etc/keel/schema.yaml"})
     * @param errors at least one
     */
    public SchemaDocumentException(String source, List<SchemaError> errors) {
        super(message(source, errors));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a SchemaDocumentException needs at least one error");
        }
        this.errors = List.copyOf(errors);
    }

    /** Every error, in document order. */
    public List<SchemaError> errors() {
        return errors;
    }

    private static String message(String source, List<SchemaError> errors) {
        StringBuilder sb = new StringBuilder(source).append(" is not a valid schema document (")
                .append(errors.size()).append(errors.size() == 1 ? " error): " : " errors): ");
        for (int i = 0; i < Math.min(LISTED, errors.size()); i++) {
            sb.append(i == 0 ? "" : "; ").append(errors.get(i));
        }
        if (errors.size() > LISTED) {
            sb.append("; and ").append(errors.size() - LISTED).append(" more");
        }
        return sb.toString();
    }
}
