package dev.keel.cli;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Transaction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The references an import sets after its last line. An optional REFERENCE value whose target does
 * not exist yet when its entity is inserted (a type referring to itself by a higher id, types that
 * refer to each other, or an input whose types come in another order) is left out of the insert and
 * kept here; the second pass sets it with an update once every entity exists. A required reference
 * cannot be left out, so it is inserted as it is.
 *
 * <p>Ordering: keel export writes the entities of referenced types first ({@link ExportFormat#lineOrder}),
 * so only references that point forward in the file are kept: none for a schema without cycles,
 * unless an entity refers to one of its own type with a higher id. Memory: four longs (field, id,
 * target, line) per kept reference, 32 MB per million.
 *
 * <p>Not thread-safe.
 */
final class DeferredReferences {
    /** Per type name, its optional REFERENCE fields. */
    private final Map<String, List<Field>> optional = new HashMap<>();
    /** The (type, field) of each slot number stored in {@link #data}. */
    private final List<String[]> slots = new ArrayList<>();
    private final Map<String, Integer> slotOf = new HashMap<>();
    /** slot, entity id, target id, line number: four longs per kept reference. */
    private long[] data = new long[64];
    private int size;

    DeferredReferences(List<EntityType> types) {
        for (EntityType t : types) {
            List<Field> refs = t.fields().stream().filter(f -> f.type() == FieldType.REFERENCE && !f.isRequired())
                    .toList();
            if (!refs.isEmpty()) {
                optional.put(t.name(), refs);
            }
        }
    }

    /**
     * The values to insert for {@code row} (read from {@code line}): its values without the
     * references whose target {@code tx} does not see yet, which are kept for the second pass.
     */
    Map<String, Object> withoutForwardReferences(Transaction tx, ImportReader.Row row, long line) {
        List<Field> refs = optional.get(row.type());
        if (refs == null) {
            return row.values();
        }
        Map<String, Object> values = row.values();
        for (Field f : refs) {
            Object target = values.get(f.name());
            if (target != null && tx.get(f.target(), (Long) target).isEmpty()) {
                if (values == row.values()) {
                    values = new LinkedHashMap<>(row.values());
                }
                values.remove(f.name());
                add(slot(row.type(), f.name()), row.id(), (Long) target, line);
            }
        }
        return values;
    }

    private int slot(String type, String field) {
        return slotOf.computeIfAbsent(type + "." + field, k -> {
            slots.add(new String[] {type, field});
            return slots.size() - 1;
        });
    }

    private void add(int slot, long id, long target, long line) {
        if (4 * size + 4 > data.length) {
            data = Arrays.copyOf(data, data.length * 2);
        }
        int at = 4 * size++;
        data[at] = slot;
        data[at + 1] = id;
        data[at + 2] = target;
        data[at + 3] = line;
    }

    /** How many references are kept. */
    int size() {
        return size;
    }

    String type(int i) {
        return slots.get((int) data[4 * i])[0];
    }

    String field(int i) {
        return slots.get((int) data[4 * i])[1];
    }

    long id(int i) {
        return data[4 * i + 1];
    }

    long target(int i) {
        return data[4 * i + 2];
    }

    /** The input line of the entity whose reference this is. */
    long line(int i) {
        return data[4 * i + 3];
    }
}
