package dev.keel.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Index;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the export format: JSON Lines (one JSON object per line, UTF-8).
 *
 * <pre>
 * line 1:  {"keel":"export","format":2,"lsn":42,"types":[
 *            {"name":"Company","fields":[
 *              {"name":"name","type":"TEXT","required":true,"default":null,"target":null,"unique":true,
 *               "maxLength":80}],
 *             "indexes":[{"name":"unique_name","fields":["name"],"unique":true}]},
 *            {"name":"Person","fields":[
 *              {"name":"age","type":"INT","required":false,"default":null,"target":null,"min":0,"max":150},
 *              {"name":"employer","type":"REFERENCE","required":false,"default":null,"target":"Company",
 *               "onDelete":"RESTRICT"}],
 *             "indexes":[{"name":"ref_employer","fields":["employer"],"unique":false}]}]}
 * line 2+: {"type":"Company","id":3,"fields":{"name":"Initech"}}
 *          {"type":"Person","id":12,"fields":{"age":36,"employer":3}}
 * </pre>
 *
 * The header declares every entity type in schema order, completely: each field with its type,
 * required-ness, default and target, then only the rules it has ({@code onDelete} for every
 * REFERENCE field; {@code unique}, {@code min}, {@code max}, {@code minLength}, {@code maxLength},
 * {@code pattern}, {@code oneOf} when set), and every index of the type ({@link EntityType#indexes()},
 * declared and implicit, in order), so that the types {@link ImportReader} rebuilds are
 * {@link EntityType#equals equal} to these. Default, min, max and oneOf values are encoded like
 * field values ({@link ValueCodec}).
 *
 * <p>Then come the entities, from one snapshot (the header's {@code lsn}), type by type in
 * {@link #lineOrder reference order} and within a type in ascending id order. A field without a
 * value is left out of {@code fields}.
 *
 * <p>Versions: format 1 had no rule keys and no {@code indexes}; {@link ImportReader} reads it (an
 * absent key means no rule).
 */
final class ExportFormat {
    static final String MAGIC = "export";
    static final int VERSION = 2;
    static final int MIN_VERSION = 1;

    private ExportFormat() {
    }

    static void writeHeader(JsonGenerator g, long lsn, List<EntityType> types) throws IOException {
        g.writeStartObject();
        g.writeStringField("keel", MAGIC);
        g.writeNumberField("format", VERSION);
        g.writeNumberField("lsn", lsn);
        g.writeArrayFieldStart("types");
        for (EntityType t : types) {
            g.writeStartObject();
            g.writeStringField("name", t.name());
            g.writeArrayFieldStart("fields");
            for (Field f : t.fields()) {
                writeField(g, f);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("indexes");
            for (Index i : t.indexes()) {
                g.writeStartObject();
                g.writeStringField("name", i.name());
                g.writeArrayFieldStart("fields");
                for (String f : i.fields()) {
                    g.writeString(f);
                }
                g.writeEndArray();
                g.writeBooleanField("unique", i.isUnique());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeRaw('\n');
    }

    private static void writeField(JsonGenerator g, Field f) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", f.name());
        g.writeStringField("type", f.type().name());
        g.writeBooleanField("required", f.isRequired());
        g.writeFieldName("default");
        Object d = f.defaultValue();
        if (d == null) {
            g.writeNull();
        } else {
            ValueCodec.write(g, f.type(), d);
        }
        g.writeStringField("target", f.target());
        if (f.onDeleteAction() != null) {
            g.writeStringField("onDelete", f.onDeleteAction().name());
        }
        if (f.isUnique()) {
            g.writeBooleanField("unique", true);
        }
        if (f.min() != null) {
            g.writeFieldName("min");
            ValueCodec.write(g, f.type(), f.min());
        }
        if (f.max() != null) {
            g.writeFieldName("max");
            ValueCodec.write(g, f.type(), f.max());
        }
        if (f.minLength() > 0) {
            g.writeNumberField("minLength", f.minLength());
        }
        if (f.maxLength() >= 0) {
            g.writeNumberField("maxLength", f.maxLength());
        }
        if (f.pattern() != null) {
            g.writeStringField("pattern", f.pattern());
        }
        if (f.allowedValues() != null) {
            g.writeArrayFieldStart("oneOf");
            for (Object v : f.allowedValues()) {
                ValueCodec.write(g, f.type(), v);
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }

    /**
     * The order in which the entity lines of {@code types} are written: every type after the types
     * its REFERENCE fields target, so that an import finds each referenced entity already inserted;
     * otherwise schema order. In a reference cycle (A refers to B and B to A) the first type to go is
     * one whose references into the cycle are all optional, since the import can leave those out and
     * set them after the last line (a required reference it must insert as it is); a self-reference
     * never delays its own type.
     */
    static List<EntityType> lineOrder(List<EntityType> types) {
        List<EntityType> pending = new ArrayList<>(types);
        List<EntityType> out = new ArrayList<>(types.size());
        while (!pending.isEmpty()) {
            EntityType next = pending.stream().filter(t -> waitingFor(t, pending).isEmpty()).findFirst()
                    .or(() -> pending.stream().filter(t -> waitingFor(t, pending).stream().noneMatch(Field::isRequired))
                            .findFirst())
                    .orElse(pending.get(0));
            pending.remove(next);
            out.add(next);
        }
        return out;
    }

    /** The REFERENCE fields of {@code t} that target another type still in {@code pending}. */
    private static List<Field> waitingFor(EntityType t, List<EntityType> pending) {
        return t.fields().stream().filter(f -> f.target() != null && !f.target().equals(t.name())
                && pending.stream().anyMatch(p -> p.name().equals(f.target()))).toList();
    }

    /** Writes one entity line; {@code fieldTypes} maps the entity type's field names to their types. */
    static void writeEntity(JsonGenerator g, Entity e, Map<String, FieldType> fieldTypes) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", e.type());
        g.writeNumberField("id", e.id());
        g.writeObjectFieldStart("fields");
        for (Map.Entry<String, Object> v : e.values().entrySet()) {
            FieldType type = fieldTypes.get(v.getKey());
            if (type == null) {
                throw new IllegalStateException("entity " + e.type() + "#" + e.id() + " has field " + v.getKey()
                        + " that its type does not declare");
            }
            g.writeFieldName(v.getKey());
            ValueCodec.write(g, type, v.getValue());
        }
        g.writeEndObject();
        g.writeEndObject();
        g.writeRaw('\n');
    }
}
