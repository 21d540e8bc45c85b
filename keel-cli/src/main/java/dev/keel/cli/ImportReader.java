package dev.keel.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Index;
import dev.keel.OnDelete;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Reads the lines of {@link ExportFormat} strictly: an object with a key that is not part of the
 * format, a missing key, a value of the wrong JSON type, an unknown entity type or field, or
 * anything after the object on its line is an error that names what is wrong. Keys may come in any
 * order. Not thread-safe.
 *
 * <p>The header's types are rebuilt through {@link Field}'s modifiers and
 * {@link EntityType.Builder#index}, one per listed index (an implicit index listed explicitly is
 * not added twice), so the result equals the exported type, and a rule a field cannot have (a min
 * on a TEXT field, a pattern that does not compile, SET_NULL on a required reference, a default
 * that breaks a rule) fails with the message of {@link Field} or {@link EntityType}, after the type
 * name. An absent rule key (all of them in format 1) means no rule.
 */
final class ImportReader {
    private static final Set<String> HEADER_KEYS = Set.of("keel", "format", "lsn", "types");
    private static final Set<String> TYPE_KEYS = Set.of("name", "fields", "indexes");
    private static final Set<String> FIELD_KEYS = Set.of("name", "type", "required", "default", "target", "onDelete",
            "unique", "min", "max", "minLength", "maxLength", "pattern", "oneOf");
    private static final Set<String> INDEX_KEYS = Set.of("name", "fields", "unique");

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
            throw new BadInput("missing header: line 1 must be the export header {\"keel\":\"export\",\"format\":2,"
                    + "...}, written by keel export");
        }
        keys(root, HEADER_KEYS, Set.of("keel", "format", "types"), "header");
        if (!"export".equals(root.get("keel").asText(null)) || !root.get("keel").isTextual()) {
            throw new BadInput("header: \"keel\" must be \"export\", was " + root.get("keel"));
        }
        JsonNode format = root.get("format");
        if (!format.isIntegralNumber() || format.asLong() < ExportFormat.MIN_VERSION
                || format.asLong() > ExportFormat.VERSION) {
            throw new BadInput("header: export format " + format + " is not supported; this keel reads formats "
                    + ExportFormat.MIN_VERSION + " to " + ExportFormat.VERSION);
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
        keys(t, TYPE_KEYS, Set.of("name", "fields"), "header type");
        String name = text(t, "name", "header type");
        String where = "header type " + name;
        JsonNode fields = t.get("fields");
        if (!fields.isArray()) {
            throw new BadInput(where + ": \"fields\" must be an array");
        }
        JsonNode indexes = t.get("indexes");
        if (indexes != null && !indexes.isArray() && !indexes.isNull()) {
            throw new BadInput(where + ": \"indexes\" must be an array");
        }
        EntityType.Builder b;
        try {
            b = EntityType.builder(name);
        } catch (IllegalArgumentException e) {
            throw new BadInput(where + ": " + firstLine(e));
        }
        for (JsonNode f : fields) {
            b.field(field(name, f));
        }
        if (indexes != null) {
            for (JsonNode i : indexes) {
                b.index(index(where, i));
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new BadInput(where + ": " + firstLine(e));
        }
    }

    /**
     * One field. Each rule goes through the {@link Field} modifier that declares it, so a rule the
     * type cannot have, a bad regex or a default that breaks a rule fails with the message of
     * {@link Field}; the default comes last because it is checked against the rules.
     */
    private static Field field(String typeName, JsonNode f) throws BadInput {
        String where = "header type " + typeName;
        if (!f.isObject()) {
            throw new BadInput(where + ": each field must be an object, was " + f);
        }
        JsonNode named = f.get("name");
        keys(f, FIELD_KEYS, Set.of("name", "type"), where + " field" + (named != null && named.isTextual()
                ? " " + named.asText() : ""));
        String name = text(f, "name", where + " field");
        where = where + " field " + name;
        FieldType type;
        try {
            type = FieldType.valueOf(text(f, "type", where));
        } catch (IllegalArgumentException e) {
            throw new BadInput(where + ": unknown field type " + f.get("type") + " (one of "
                    + java.util.Arrays.toString(FieldType.values()) + ")");
        }
        String target = optionalText(f, "target", where);
        String onDelete = optionalText(f, "onDelete", where);
        OnDelete action = null;
        if (onDelete != null) {
            try {
                action = OnDelete.valueOf(onDelete);
            } catch (IllegalArgumentException e) {
                throw new BadInput(where + ": unknown on-delete action \"" + onDelete + "\" (one of "
                        + java.util.Arrays.toString(OnDelete.values()) + ")");
            }
        }
        String typeWhere = "header type " + typeName;
        try {
            Field field;
            if (type == FieldType.REFERENCE) {
                if (target == null) {
                    throw new BadInput(where + ": a REFERENCE field needs \"target\", the referenced type's name");
                }
                field = Field.reference(name, target);
            } else {
                if (target != null) {
                    throw new BadInput(where + ": only REFERENCE fields have a \"target\"");
                }
                field = Field.of(name, type);
            }
            field = flag(f, "required", where) ? field.required() : field;
            field = action != null ? field.onDelete(action) : field;
            field = flag(f, "unique", where) ? field.unique() : field;
            int minLength = length(f, "minLength", where, 0);
            int maxLength = length(f, "maxLength", where, -1);
            field = minLength > 0 || maxLength >= 0 ? field.length(minLength, maxLength) : field;
            String pattern = optionalText(f, "pattern", where);
            field = pattern != null ? field.pattern(pattern) : field;
            Field base = field;
            field = present(f, "min") ? field.min(value(f.get("min"), base, where + " min", Field::min)) : field;
            field = present(f, "max") ? field.max(value(f.get("max"), base, where + " max", Field::max)) : field;
            if (present(f, "oneOf")) {
                JsonNode list = f.get("oneOf");
                if (!list.isArray()) {
                    throw new BadInput(where + ": \"oneOf\" must be an array of values, was " + list);
                }
                List<Object> allowed = new ArrayList<>();
                for (int k = 0; k < list.size(); k++) {
                    allowed.add(value(list.get(k), base, where + " oneOf[" + k + "]", Field::oneOf));
                }
                field = field.oneOf(allowed.toArray());
            }
            if (present(f, "default")) {
                field = field.defaultValue(value(f.get("default"), base, where + " default", (x, v) -> x));
            }
            return field;
        } catch (IllegalArgumentException e) {
            throw new BadInput(typeWhere + ": " + firstLine(e));
        }
    }

    /**
     * A rule value encoded like a field value. {@code probe} first declares the rule with a sample
     * value of the field's type, so that a rule the type cannot have is reported as such (by
     * {@link Field}) rather than as a value of the wrong JSON type.
     */
    private static Object value(JsonNode node, Field field, String what, BiFunction<Field, Object, Field> probe)
            throws BadInput {
        probe.apply(field, sample(field.type()));
        if (node.isNull()) {
            throw new BadInput(what + ": must be a value, was null");
        }
        try (JsonParser p = node.traverse(Json.LINES)) {
            p.nextToken();
            return ValueCodec.read(p, field.type(), what);
        } catch (IOException e) {
            throw new BadInput(what + ": unreadable (" + e.getMessage() + ")");
        }
    }

    /** Any valid value of {@code type} (a probe for whether a rule applies to the type at all). */
    private static Object sample(FieldType type) {
        return switch (type) {
            case TEXT -> "";
            case INT -> 0;
            case LONG, REFERENCE -> 1L;
            case DOUBLE -> 0.0;
            case BOOLEAN -> false;
            case TIMESTAMP -> java.time.Instant.EPOCH;
            case BYTES -> new byte[0];
            case VECTOR -> new float[0];
        };
    }

    private static Index index(String where, JsonNode i) throws BadInput {
        if (!i.isObject()) {
            throw new BadInput(where + ": each index must be an object, was " + i);
        }
        keys(i, INDEX_KEYS, Set.of("fields"), where + " index");
        String name = optionalText(i, "name", where + " index");
        String what = where + " index" + (name == null ? "" : " " + name);
        JsonNode fields = i.get("fields");
        if (!fields.isArray()) {
            throw new BadInput(what + ": \"fields\" must be an array of field names, was " + fields);
        }
        List<String> names = new ArrayList<>();
        for (JsonNode f : fields) {
            if (!f.isTextual()) {
                throw new BadInput(what + ": \"fields\" must be an array of field names, was " + fields);
            }
            names.add(f.asText());
        }
        try {
            String[] on = names.toArray(new String[0]);
            Index index = flag(i, "unique", what) ? Index.unique(on) : Index.on(on);
            return name == null ? index : index.named(name);
        } catch (IllegalArgumentException e) {
            throw new BadInput(what + ": " + firstLine(e));
        }
    }

    private static boolean present(JsonNode o, String key) {
        JsonNode v = o.get(key);
        return v != null && !v.isNull();
    }

    private static boolean flag(JsonNode o, String key, String what) throws BadInput {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new BadInput(what + ": \"" + key + "\" must be true or false, was " + v);
        }
        return v.asBoolean();
    }

    private static int length(JsonNode o, String key, String what, int absent) throws BadInput {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw new BadInput(what + ": \"" + key + "\" must be a whole number from 0 to " + Integer.MAX_VALUE
                    + ", was " + v);
        }
        return v.asInt();
    }

    private static String optionalText(JsonNode o, String key, String what) throws BadInput {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new BadInput(what + ": \"" + key + "\" must be a string, was " + v);
        }
        return v.asText();
    }

    /** The first line of an exception's message (a regex syntax error adds the pattern and a caret). */
    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
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
