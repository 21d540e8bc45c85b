package dev.keel;

import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A user-defined migration step: a function applied once to every entity of one type, declared
 * with {@link KeelOptions.Builder#migration}. On open, after the schema migration committed and
 * before the database is ready, each declared step that has not finished runs over the entities of
 * its type in id order, in batches of {@value #BATCH_SIZE}; each batch commits the new values
 * together with the step's progress, so after a crash the step resumes after the last committed
 * batch and the function's result is never committed twice for an entity. A finished step never
 * runs again (its name is remembered in the database; choose a new name for new work).
 *
 * <p>The function gets a mutable copy of an entity's field values (field name to value; absent
 * fields left out) and returns the new values, which are validated like any write. An exception,
 * a null result or an invalid value stops the open with a {@link MigrationException} naming the
 * step, the entity and the cause; the batches committed before it stay committed, and the next
 * open resumes the step. The function runs on the opening thread and must not use the database.
 *
 * @param name unique name of the step, stored in the database (a valid name, see {@link EntityType})
 * @param type name of the declared entity type whose entities it transforms
 * @param function the transformation of one entity's values
 */
public record MigrationStep(String name, String type, UnaryOperator<Map<String, Object>> function) {
    /** Entities per transaction of a step. */
    public static final int BATCH_SIZE = 1_000;

    public MigrationStep {
        Names.requireValid(name, "migration step name");
        Names.requireValid(type, "entity type name of migration step " + name);
        Objects.requireNonNull(function, "function");
    }
}
