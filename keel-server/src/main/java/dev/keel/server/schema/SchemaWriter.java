package dev.keel.server.schema;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Index;
import dev.keel.server.FieldValues;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes entity types as a schema document tree, with the keys {@link SchemaReader} reads: a field
 * lists only what it has ({@code required} and {@code unique} when true, {@code target} and
 * {@code onDelete} for every REFERENCE, each rule that is set, {@code default} when there is one,
 * {@code renamedFrom} when declared). Indexes: those a reader must declare, that is every index of
 * {@link EntityType#indexes()} except the implicit {@code unique_<f>} and {@code ref_<f>} ones that
 * building the type recreates by itself; the writer checks that the type rebuilt from what it writes
 * is equal, and otherwise lists every index. So {@code read(write(t))} equals {@code t}.
 */
final class SchemaWriter {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private SchemaWriter() {
    }

    static ObjectNode write(List<EntityType> types) {
        ObjectNode root = NODES.objectNode();
        ArrayNode list = root.putArray("types");
        for (EntityType t : types) {
            list.add(type(t));
        }
        return root;
    }

    private static ObjectNode type(EntityType t) {
        ObjectNode o = NODES.objectNode();
        o.put("name", t.name());
        if (t.renamedFromName() != null) {
            o.put("renamedFrom", t.renamedFromName());
        }
        ArrayNode fields = o.putArray("fields");
        t.fields().forEach(f -> fields.add(field(f)));
        List<Index> declared = declaredIndexes(t);
        if (!declared.isEmpty()) {
            ArrayNode indexes = o.putArray("indexes");
            for (Index i : declared) {
                ObjectNode ix = indexes.addObject();
                ix.put("name", i.name());
                ArrayNode on = ix.putArray("fields");
                i.fields().forEach(on::add);
                if (i.isUnique()) {
                    ix.put("unique", true);
                }
            }
        }
        return o;
    }

    private static ObjectNode field(Field f) {
        ObjectNode o = NODES.objectNode();
        o.put("name", f.name());
        o.put("type", f.type().name());
        if (f.isRequired()) {
            o.put("required", true);
        }
        if (f.type() == FieldType.REFERENCE) {
            o.put("target", f.target());
            o.put("onDelete", f.onDeleteAction().name());
        }
        if (f.isUnique()) {
            o.put("unique", true);
        }
        if (f.min() != null) {
            o.set("min", FieldValues.write(f.min()));
        }
        if (f.max() != null) {
            o.set("max", FieldValues.write(f.max()));
        }
        if (f.minLength() > 0) {
            o.put("minLength", f.minLength());
        }
        if (f.maxLength() >= 0) {
            o.put("maxLength", f.maxLength());
        }
        if (f.pattern() != null) {
            o.put("pattern", f.pattern());
        }
        if (f.allowedValues() != null) {
            ArrayNode a = o.putArray("oneOf");
            f.allowedValues().forEach(v -> a.add(FieldValues.write(v)));
        }
        if (f.defaultValue() != null) {
            o.set("default", FieldValues.write(f.defaultValue()));
        }
        if (f.renamedFromName() != null) {
            o.put("renamedFrom", f.renamedFromName());
        }
        return o;
    }

    /** The indexes without the implicit ones, if the type rebuilt from them is equal; else all of them. */
    static List<Index> declaredIndexes(EntityType t) {
        List<Index> declared = new ArrayList<>();
        for (Index i : t.indexes()) {
            if (!looksImplicit(t, i)) {
                declared.add(i);
            }
        }
        if (declared.size() == t.indexes().size()) {
            return declared;
        }
        try {
            EntityType.Builder b = EntityType.builder(t.name());
            t.fields().forEach(b::field);
            declared.forEach(b::index);
            if (b.build().equals(t)) {
                return declared;
            }
        } catch (IllegalArgumentException e) {
            // Cannot happen for a valid type; fall back to listing every index.
        }
        return t.indexes();
    }

    private static boolean looksImplicit(EntityType t, Index i) {
        if (i.fields().size() != 1) {
            return false;
        }
        String f = i.fields().get(0);
        Field field = t.field(f).orElse(null);
        if (field == null) {
            return false;
        }
        return i.isUnique() ? field.isUnique() && i.name().equals("unique_" + f)
                : field.type() == FieldType.REFERENCE && i.name().equals("ref_" + f);
    }
}
