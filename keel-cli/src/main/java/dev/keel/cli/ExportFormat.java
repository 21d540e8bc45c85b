package dev.keel.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Writes the export format: JSON Lines (one JSON object per line, UTF-8).
 *
 * <pre>
 * line 1:  {"keel":"export","format":1,"lsn":42,"types":[
 *            {"name":"Person","fields":[
 *              {"name":"name","type":"TEXT","required":true,"default":null,"target":null},
 *              {"name":"employer","type":"REFERENCE","required":false,"default":null,"target":"Company"}]}]}
 * line 2+: {"type":"Person","id":12,"fields":{"name":"Ada","employer":3}}
 * </pre>
 *
 * The header declares every entity type in schema order; then come the entities of each type in
 * ascending id order, all from one snapshot (the header's {@code lsn}). A field without a value is
 * left out of {@code fields}. Values are encoded as {@link ValueCodec} says. {@link ImportReader}
 * reads it back.
 */
final class ExportFormat {
    static final String MAGIC = "export";
    static final int VERSION = 1;

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
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeRaw('\n');
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
