package dev.keel;

import java.util.List;

/**
 * A schema migration could not be completed on open: existing entities break a rule the declared
 * schema adds (each listed with type, field, rule and entity id), a log record could not be
 * converted under {@link KeelOptions.Builder#strictMigration strict migration}, or a user-defined
 * {@link MigrationStep} failed. Nothing of the failed part was written: the database still opens
 * with its previous declaration, and opens with the new one once the data or the declaration is
 * fixed. Error code {@link ErrorCode#SCHEMA_MISMATCH}.
 */
public final class MigrationException extends KeelException {
    private final List<String> problems;

    public MigrationException(String message, List<String> problems) {
        super(ErrorCode.SCHEMA_MISMATCH, message + (problems.isEmpty() ? "" : ": " + String.join("; ", problems)));
        this.problems = List.copyOf(problems);
    }

    public MigrationException(String message, Throwable cause) {
        super(ErrorCode.SCHEMA_MISMATCH, message, cause);
        this.problems = List.of();
    }

    /** The individual problems (for example one per violating entity, at most ten plus a total). */
    public List<String> problems() {
        return problems;
    }
}
