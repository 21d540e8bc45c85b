package dev.keel.server.schema;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.Index;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The changes between two schemas a database reported (before and after a schema change), one line
 * each in the words of keel-core's migration log ("add field Person.nick (default "x")", "drop index
 * Person.by_age", ...). Renames are recognized through the rename declarations of the applied
 * document; without them a renamed field would show as one dropped and one added.
 */
final class SchemaChanges {
    private SchemaChanges() {
    }

    /**
     * @param before the schema before the change
     * @param after the schema after it
     * @param declared the applied document's types (for their rename declarations)
     */
    static List<String> between(List<EntityType> before, List<EntityType> after, List<EntityType> declared) {
        Map<String, EntityType> old = byName(before);
        Map<String, EntityType> now = byName(after);
        Map<String, EntityType> decl = byName(declared);
        List<String> changes = new ArrayList<>();
        for (EntityType t : after) {
            EntityType o = old.get(t.name());
            EntityType d = decl.get(t.name());
            if (o == null) {
                String from = d == null ? null : d.renamedFromName();
                if (from != null && old.containsKey(from) && !now.containsKey(from)) {
                    o = old.get(from);
                    changes.add("rename type " + from + " to " + t.name());
                } else {
                    changes.add("add type " + t.name());
                    continue;
                }
            }
            fields(o, t, d, changes);
        }
        return changes;
    }

    private static void fields(EntityType o, EntityType t, EntityType declared, List<String> changes) {
        // Old field name -> new field name, for the fields that are kept.
        Map<String, String> kept = new HashMap<>();
        for (Field f : t.fields()) {
            String name = t.name() + "." + f.name();
            Field old = o.field(f.name()).orElse(null);
            if (old == null) {
                String from = declared == null ? null : declared.field(f.name()).map(Field::renamedFromName)
                        .orElse(null);
                if (from != null && o.field(from).isPresent() && t.field(from).isEmpty()) {
                    old = o.field(from).get();
                    changes.add("rename field " + o.name() + "." + from + " to " + name);
                } else {
                    changes.add("add field " + name + (f.defaultValue() != null ? " (default "
                            + SchemaValues.write(f.type(), f.defaultValue()) + ")" : " (nullable)"));
                    continue;
                }
            }
            kept.put(old.name(), f.name());
            if (old.type() != f.type()) {
                changes.add("widen field " + name + " from " + old.type() + " to " + f.type());
            }
            if (!old.isRequired() && f.isRequired()) {
                changes.add("make field " + name + " required");
            } else if (old.isRequired() && !f.isRequired()) {
                changes.add("make field " + name + " optional");
            }
            if (!Objects.equals(write(old, old.defaultValue()), write(f, f.defaultValue()))) {
                changes.add("change the default of field " + name + " to " + (f.defaultValue() == null ? "none"
                        : SchemaValues.write(f.type(), f.defaultValue())));
            }
            if (!old.sameRules(f)) {
                changes.add("change the rules of field " + name + " to " + f);
            }
        }
        for (Field f : o.fields()) {
            if (!kept.containsKey(f.name())) {
                changes.add("drop field " + o.name() + "." + f.name() + " (its values are removed)");
            }
        }
        Set<Index> same = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Index ix : o.indexes()) {
            List<String> renamed = ix.fields().stream().map(f -> kept.getOrDefault(f, f)).toList();
            for (Index n : t.indexes()) {
                if (n.name().equals(ix.name()) && n.isUnique() == ix.isUnique() && n.fields().equals(renamed)) {
                    same.add(n);
                    same.add(ix);
                }
            }
        }
        for (Index n : t.indexes()) {
            if (!same.contains(n)) {
                changes.add("add " + (n.isUnique() ? "unique " : "") + "index " + t.name() + "." + n.name()
                        + n.fields());
            }
        }
        for (Index ix : o.indexes()) {
            if (!same.contains(ix)) {
                changes.add("drop index " + o.name() + "." + ix.name());
            }
        }
    }

    /** A default in document form (so that doubles, bytes and vectors compare by value). */
    private static String write(Field f, Object value) {
        return value == null ? null : SchemaValues.write(f.type(), value).toString();
    }

    private static Map<String, EntityType> byName(List<EntityType> types) {
        Map<String, EntityType> m = new HashMap<>();
        types.forEach(t -> m.put(t.name(), t));
        return m;
    }
}
