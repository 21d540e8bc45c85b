package dev.keel;

import java.util.List;

/**
 * What {@link KeelDb#planSchema} found: the changes that opening with the given declared types
 * would make to the stored schema, and the problems that would make that open fail. Nothing is
 * applied by planning. Immutable.
 *
 * @param changes  one line per change (add a type or field, drop a field, rename, widen, change rules,
 *                 add or drop an index ...), in the words of the open's log line
 * @param problems one line per incompatible change, each naming the declaration that would fix it;
 *                 empty when the change can be applied
 */
public record SchemaChangePlan(List<String> changes, List<String> problems) {

    public SchemaChangePlan {
        changes = List.copyOf(changes);
        problems = List.copyOf(problems);
    }

    /**
     * Whether an open with these types would apply the changes. Rules that need the existing data
     * checked (a tightened rule, a new required field, a new unique index) are only checked when the
     * change is applied at open, so a compatible plan may still fail there, naming the entities.
     */
    public boolean compatible() {
        return problems.isEmpty();
    }
}
