package dev.keel;

import java.util.List;

/** The schema declared in the options differs from the one stored in the database. */
public final class SchemaMismatchException extends KeelException {
    private final List<String> problems;

    public SchemaMismatchException(List<String> problems) {
        super(ErrorCode.SCHEMA_MISMATCH, "the declared schema cannot be migrated from the stored schema: "
                + String.join("; ", problems) + ". The database was not changed; it still opens with its stored"
                + " declaration (KeelDb.schema() shows it).");
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
