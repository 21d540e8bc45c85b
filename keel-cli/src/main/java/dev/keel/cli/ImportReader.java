package dev.keel.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the lines of {@link ExportFormat} strictly: an object with a key that is not part of the
 * format, a missing key, a value of the wrong JSON type, an unknown entity type or field, or
 * anything after the object on its line is an error that names what is wrong. Keys may come in any
 * order. Not thread-safe.
 */
final class ImportReader {
    private static final Set<String> HEADER_KEYS = Set.of("keel", "format", "lsn", "types");
    private static final Set<String> TYPE_KEYS = Set.of("name", "fields");
    private static final Set<String> FIELD_KEYS = Set.of("name", "type", "required", "default", "target");

    /** The header line. */
    record Header(long lsn, List<EntityType> types) {
    }

    /** One entity line: values hold only the fields that have a value. */
    record Row(String type, long id, Map<String, Object> values) {
    }

    private final Map<String, EntityType> types = new HashMap<>();

    /** Parses line 1 and remembers its types for {@link #entity}. */
    Header header(String line) throws BadInput {
        JsonNode root;
        try {
            root = Json.LINES.readTree(line);
        } catch (JsonProcessingException e) {
            throw malformed(e, "missing header: line 1 must be the export header {\"keel\":\"export\",...}");
        }
        if (root == null || !root.isObject() || !root.has("keel")) {
            throw new BadInput("missing header: line 1 must be the export header {\"keel\":\"export\",\"format\":1,"
                    + "...}, written by keel export");
        }
        keys(root, HEADER_KEYS, Set.of("keel", "format", "types"), "header");
        if (!"export".equals(root.get("keel").asText(null)) || !root.get("keel").isTextual()) {
            throw new BadInput("header: \"keel\" must be \"export\", was " + root.get("keel"));
        }
        JsonNode format = root.get("format");
        if (!format.isIntegralNumber() || format.asLong() != ExportFormat.VERSION) {
            throw new BadInput("header: export format " + format + " is not supported; this keel reads format "
                    + ExportFormat.VERSION);
        }
        JsonNode lsn = root.get("lsn");
        if (lsn != null && !(lsn.isIntegralNumber() && lsn.canConvertToLong())) {
            throw new BadInput("header: \"lsn\" must be a whole number, was " + lsn);
        }
        JsonNode list = root.get("types");
        if (!list.isArray()) {
            throw new BadInput("header: \"types\" must be an array, was " + list.getNodeType());
        }
        List<EntityType> out = new ArrayList<>();
        for (JsonNode t : list) {
            EntityType type = type(t);
            if (types.putIfAbsent(type.name(), type) != null) {
                throw new BadInput("header: entity type " + type.name() + " is declared twice");
            }
            out.add(type);
        }
        return new Header(lsn == null ? 0 : lsn.asLong(), List.copyOf(out));
    }

    private static EntityType type(JsonNode t) throws BadInput {
        if (!t.isObject()) {
            throw new BadInput("header: each entry of \"types\" must be an object, was " + t);
        }
        keys(t, TYPE_KEYS, TYPE_KEYS, "header type");
        String name = text(t, "name", "header type");
        JsonNode fields = t.get("fields");
        if (!fields.isArray()) {
            throw new BadInput("header type " + name + ": \"fields\" must be an array");
        }
        try {
            EntityType.Builder b = EntityType.builder(name);
            for (JsonNode f : fields) {
                b.field(field(name, f));
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new BadInput("header type " + name + ": " + e.getMessage());
        }
    }

    private static Field field(String typeName, JsonNode f) throws BadInput {
        String where = "header type " + typeName;
        if (!f.isObject()) {
            throw new BadInput(where + ": each field must be an object, was " + f);
        }
        keys(f, FIELD_KEYS, Set.of("name", "type"), where + " field");
        String name = text(f, "name", where + " field");
        where = where + " field " + name;
        FieldType type;
        try {
            type = FieldType.valueOf(text(f, "type", where));
        } catch (IllegalArgumentException e) {
            throw new BadInput(where + ": unknown field type " + f.get("type") + " (one of "
                    + java.util.Arrays.toString(FieldType.values()) + ")");
        }
        JsonNode target = f.get("target");
        Field field;
        if (type == FieldType.REFERENCE) {
            if (target == null || !target.isTextual()) {
                throw new BadInput(where + ": a REFERENCE field needs \"target\", the referenced type's name");
            }
            field = Field.reference(name, target.asText());
        } else {
            if (target != null && !target.isNull()) {
                throw new BadInput(where + ": only REFERENCE fields have a \"target\"");
            }
            field = Field.of(name, type);
        }
        JsonNode required = f.get("required");
        if (required != null && !required.isNull()) {
            if (!required.isBoolean()) {
                throw new BadInput(where + ": \"required\" must be true or false, was " + required);
            }
            field = required.asBoolean() ? field.required() : field;
        }
        JsonNode def = f.get("default");
        if (def != null && !def.isNull()) {
            try (JsonParser p = def.traverse(Json.LINES)) {
                p.nextToken();
                field = field.defaultValue(ValueCodec.read(p, type, where + " default"));
            } catch (IOException e) {
                throw new BadInput(where + ": unreadable default (" + e.getMessage() + ")");
            }
        }
        return field;
    }

    private static void keys(JsonNode o, Set<String> allowed, Set<String> required, String what) throws BadInput {
        for (var it = o.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new BadInput(what + ": unknown key \"" + k + "\" (allowed: " + String.join(", ",
                        allowed.stream().sorted().toList()) + ")");
            }
        }
        for (String k : required) {
            if (!o.has(k)) {
                throw new BadInput(what + ": missing key \"" + k + "\"");
            }
        }
    }

    private static String text(JsonNode o, String key, String what) throws BadInput {
        JsonNode v = o.get(key);
        if (v == null || !v.isTextual()) {
            throw new BadInput(what + ": \"" + key + "\" must be a string, was " + v);
        }
        return v.asText();
    }

    /** Parses an entity line (after {@link #header}). */
    Row entity(String line) throws BadInput {
        try (JsonParser p = Json.LINES.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadInput("expected an entity object {\"type\":...,\"id\":...,\"fields\":{...}}, got "
                        + ValueCodec.describe(p));
            }
            String type = null;
            Long id = null;
            Map<String, Object> values = null;
            boolean fieldsBeforeType = false;
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String key = p.currentName();
                p.nextToken();
                switch (key) {
                    case "type" -> {
                        if (p.currentToken() != JsonToken.VALUE_STRING) {
                            throw new BadInput("\"type\" must be a string, got " + ValueCodec.describe(p));
                        }
                        type = p.getText();
                        if (!types.containsKey(type)) {
                            throw new BadInput("unknown entity type \"" + type + "\" (the header declares "
                                    + String.join(", ", types.keySet().stream().sorted().toList()) + ")");
                        }
                    }
                    case "id" -> {
                        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT
                                || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                            throw new BadInput("\"id\" must be a whole number, got " + ValueCodec.describe(p));
                        }
                        id = p.getLongValue();
                    }
                    case "fields" -> {
                        if (p.currentToken() != JsonToken.START_OBJECT) {
                            throw new BadInput("\"fields\" must be an object, got " + ValueCodec.describe(p));
                        }
                        if (type == null) {
                            fieldsBeforeType = true;
                            p.skipChildren();
                        } else {
                            values = fields(p, types.get(type));
                        }
                    }
                    default -> throw new BadInput("unknown key \"" + key + "\" (an entity line has type, id and"
                            + " fields)");
                }
            }
            if (p.nextToken() != null) {
                throw new BadInput("more than one JSON value on the line");
            }
            if (type == null || id == null || !fieldsBeforeType && values == null) {
                throw new BadInput("missing key \"" + (type == null ? "type" : id == null ? "id" : "fields")
                        + "\" (an entity line has type, id and fields)");
            }
            if (fieldsBeforeType) {
                values = fieldsOf(line, types.get(type));
            }
            return new Row(type, id, values);
        } catch (JsonProcessingException e) {
            throw malformed(e, null);
        } catch (IOException e) {
            throw new BadInput("unreadable JSON: " + e.getMessage());
        }
    }

    /** Second pass over a line whose "fields" came before its "type". */
    private static Map<String, Object> fieldsOf(String line, EntityType type) throws IOException, BadInput {
        try (JsonParser p = Json.LINES.createParser(line)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                boolean fields = p.currentName().equals("fields");
                p.nextToken();
                if (fields) {
                    return fields(p, type);
                }
                p.skipChildren();
            }
            throw new IllegalStateException("fields vanished on the second pass");
        }
    }

    private static Map<String, Object> fields(JsonParser p, EntityType type) throws IOException, BadInput {
        Map<String, Object> values = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
            String name = p.currentName();
            Field f = type.field(name).orElseThrow(() -> new BadInput("unknown field \"" + name + "\" of type "
                    + type.name() + " (it declares " + String.join(", ", type.fields().stream().map(Field::name)
                    .toList()) + ")"));
            p.nextToken();
            Object v = ValueCodec.read(p, f.type(), type.name() + "." + name);
            if (v != null) {
                values.put(name, v);
            }
        }
        return values;
    }

    private static BadInput malformed(JsonProcessingException e, String prefix) {
        String where = e.getLocation() == null ? "" : " at column " + e.getLocation().getColumnNr();
        return new BadInput((prefix == null ? "" : prefix + "; ") + "malformed JSON" + where + ": "
                + e.getOriginalMessage());
    }
}
