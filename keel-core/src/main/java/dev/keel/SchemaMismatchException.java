package dev.keel;

import java.util.List;

/** The schema declared in the options differs from the one stored in the database. */
public final class SchemaMismatchException extends KeelException {
    private final List<String> problems;

    public SchemaMismatchException(List<String> problems) {
        super(ErrorCode.SCHEMA_MISMATCH, "declared schema differs from the stored schema: "
                + String.join("; ", problems)
                + ". This version applies only added entity types; declare the stored definition"
                + " of changed types (see KeelDb.storedSchema()).");
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
