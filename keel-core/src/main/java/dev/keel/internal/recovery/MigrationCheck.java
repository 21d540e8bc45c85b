package dev.keel.internal.recovery;

import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.MigrationException;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.entity.Values;
import dev.keel.internal.store.Store;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validation of existing data against rules a schema migration tightens (value rules, required
 * fields, references), run by {@link Recovery} on the replayed, converted store before it changes
 * anything on disk, so a migration the data does not satisfy fails the open with nothing written.
 */
public final class MigrationCheck {
    /** Violating entities listed in the exception (the total is always given). */
    public static final int LISTED_VIOLATIONS = 10;

    private MigrationCheck() {
    }

    /**
     * Checks every entity of the types {@code typeIds} against {@code target}: required
     * fields present, value rules ({@code FieldRules}) kept, references pointing at existing
     * entities. Unique indexes are checked where indexes are built.
     *
     * @throws MigrationException listing the first {@value #LISTED_VIOLATIONS} violations and the total
     */
    public static void validate(Path dir, Store store, Schema target, Set<Integer> typeIds) {
        List<String> listed = new ArrayList<>();
        long total = 0;
        for (int typeId : typeIds) {
            StoredType t = target.byId(typeId);
            Store.Cursor c = store.scan(typeId, 1);
            while (c.next()) {
                Map<String, Object> values = EntityCodec.decodeValues(t, c.value());
                for (int i = 0; i < t.fields().size(); i++) {
                    Field f = t.fields().get(i);
                    Object v = values.get(f.name());
                    String broken = null;
                    if (v == null) {
                        broken = f.isRequired() ? "required: has no value" : null;
                    } else {
                        broken = t.rules(i).brokenRule(v);
                        if (broken == null && f.type() == FieldType.REFERENCE) {
                            StoredType to = target.byName(f.target());
                            if (to == null || store.get(to.typeId(), (Long) v) == null) {
                                broken = "reference: " + f.target() + "#" + v + " does not exist";
                            }
                        }
                        if (broken != null) {
                            broken += " (value " + Values.toString(v) + ")";
                        }
                    }
                    if (broken != null) {
                        total++;
                        if (listed.size() < LISTED_VIOLATIONS) {
                            listed.add(t.name() + "#" + c.id() + "." + f.name() + " breaks " + broken);
                        }
                    }
                }
            }
        }
        if (total > 0) {
            throw new MigrationException("cannot migrate " + dir + " to schema version " + target.version() + ": "
                    + total + " value" + (total == 1 ? "" : "s") + " of existing entities break rules the declared"
                    + " schema adds (" + listed.size() + " listed). Nothing was written and the database still opens"
                    + " with its previous declaration: fix the data with it, or relax the declaration", listed);
        }
    }


    /**
     * The store with the indexes of its schema built; entities that break a unique index (one the
     * migration adds, or data written before it was enforced) fail the open naming them.
     *
     * @throws MigrationException two entities share the values of a unique index
     */
    public static Store withIndexes(Path dir, Store store) {
        try {
            return store.withIndexes();
        } catch (dev.keel.ConstraintViolationException e) {
            throw new MigrationException("cannot open " + dir + ": existing entities break a unique rule of the"
                    + " declared schema; nothing was written. Open it with the previous declaration and make the"
                    + " values unique, or declare the field or index without unique", List.of(e.getMessage()));
        }
    }
}
