package dev.keel.server.schema;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Index;
import dev.keel.OnDelete;
import dev.keel.server.FieldValues;
import dev.keel.server.FieldValues.InvalidValueException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Turns a parsed schema document (a JSON tree, from JSON or YAML) into entity types, collecting
 * every error with its path instead of stopping at the first. Not thread-safe; one per document.
 *
 * <p>Design. Reading has two steps per object. First every key is checked on its own: unknown keys
 * (with a "did you mean"), values of the wrong JSON kind, unknown field types and on-delete actions,
 * a REFERENCE without {@code target}. Then, if the object had no such error, it is built through
 * keel-core's own modifiers ({@link Field#required()}, {@link Field#min}, {@link Index#named},
 * {@link EntityType.Builder#index} ...), one key at a time, so that a rule keel-core refuses (a min
 * above the max, a regex that does not compile, SET_NULL on a required reference, a default that
 * breaks a rule, an index naming an unknown field) is reported with keel-core's message and the path
 * of the key that declared it. The type is built exactly as keel-cli's {@code ImportReader} rebuilds
 * an export header: the same modifiers in the same order, every listed index added with
 * {@link EntityType.Builder#index} (an implicit {@code unique_<f>} or {@code ref_<f>} index listed
 * explicitly is then not added twice), so the same document gives {@link EntityType#equals equal}
 * types in both. Rules whose values depend on the field type ({@code min}, {@code max},
 * {@code oneOf}, {@code default}) are first probed with a sample value, so that "min on a TEXT field"
 * is reported as such rather than as "not a number".
 *
 * <p>Null values mean "absent" (an export header writes {@code "default": null} and
 * {@code "target": null}); for a key that must be present, null is "missing".
 */
final class SchemaReader {
    static final List<String> ROOT_KEYS = List.of("types");
    static final List<String> TYPE_KEYS = List.of("name", "renamedFrom", "fields", "indexes");
    static final List<String> FIELD_KEYS = List.of("name", "type", "required", "default", "target", "onDelete",
            "unique", "min", "max", "minLength", "maxLength", "pattern", "oneOf", "renamedFrom");
    static final List<String> INDEX_KEYS = List.of("name", "fields", "unique");

    /** What people write instead of a key, and what to write. */
    private static final Map<String, String> KEY_HINTS = Map.ofEntries(
            Map.entry("nullable", "fields are optional unless they say required: true"),
            Map.entry("optional", "fields are optional unless they say required: true"),
            Map.entry("enum", "write the allowed values as oneOf: [...]"),
            Map.entry("values", "write the allowed values as oneOf: [...]"),
            Map.entry("regex", "write pattern: \"...\""),
            Map.entry("length", "write minLength and/or maxLength"),
            Map.entry("ref", "write target: <type name> on a field of type REFERENCE"),
            Map.entry("references", "write target: <type name> on a field of type REFERENCE"),
            Map.entry("index", "indexes are listed per type under indexes: [{fields: [...]}]"),
            Map.entry("keel", "this looks like a keel export header: keep only its \"types\""),
            Map.entry("format", "this looks like a keel export header: keep only its \"types\""),
            Map.entry("lsn", "this looks like a keel export header: keep only its \"types\""));

    /** Field type names people write, and the KeelDB type to write instead. */
    private static final Map<String, FieldType> TYPE_ALIASES = Map.ofEntries(
            Map.entry("STRING", FieldType.TEXT), Map.entry("VARCHAR", FieldType.TEXT),
            Map.entry("INTEGER", FieldType.INT), Map.entry("INT32", FieldType.INT),
            Map.entry("INT64", FieldType.LONG), Map.entry("BIGINT", FieldType.LONG),
            Map.entry("FLOAT", FieldType.DOUBLE), Map.entry("NUMBER", FieldType.DOUBLE),
            Map.entry("BOOL", FieldType.BOOLEAN), Map.entry("INSTANT", FieldType.TIMESTAMP),
            Map.entry("DATETIME", FieldType.TIMESTAMP), Map.entry("BINARY", FieldType.BYTES),
            Map.entry("BLOB", FieldType.BYTES), Map.entry("REF", FieldType.REFERENCE));

    private final List<SchemaError> errors = new ArrayList<>();

    /** The errors found so far, in document order. */
    List<SchemaError> errors() {
        return errors;
    }

    /** The types of {@code root}; those with errors are left out (see {@link #errors()}). */
    List<EntityType> read(JsonNode root) {
        List<EntityType> out = new ArrayList<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            error("", "the document is empty: write \"types:\" followed by the list of entity types");
            return out;
        }
        if (!root.isObject()) {
            error("", "must be an object with the key \"types\" (the list of entity types), was "
                    + FieldValues.describe(root));
            return out;
        }
        keys(root, "", ROOT_KEYS, "the document");
        JsonNode types = root.get("types");
        if (types == null || types.isNull()) {
            error("types", "missing: write \"types:\" followed by the list of entity types");
            return out;
        }
        if (!types.isArray()) {
            error("types", "must be a list of entity types, was " + FieldValues.describe(types));
            return out;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < types.size(); i++) {
            String path = "types[" + i + "]";
            EntityType t = type(types.get(i), path);
            JsonNode name = types.get(i).get("name");
            if (name != null && name.isTextual()) {
                Integer first = seen.putIfAbsent(name.textValue(), i);
                if (first != null) {
                    error(path + ".name", "type " + name.textValue() + " is declared twice (also types[" + first
                            + "]): declare each type once");
                    continue;
                }
            }
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    private EntityType type(JsonNode t, String path) {
        if (!t.isObject()) {
            error(path, "must be an entity type {name: ..., fields: [...]}, was " + FieldValues.describe(t));
            return null;
        }
        int before = errors.size();
        keys(t, path, TYPE_KEYS, "an entity type");
        String name = requiredText(t, "name", path, "the type's name, e.g. name: Person");
        String renamedFrom = text(t, "renamedFrom", path);
        if (name != null) {
            tryIt(path + ".name", () -> EntityType.builder(name));
        }
        if (renamedFrom != null) {
            tryIt(path + ".renamedFrom", () -> EntityType.builder(renamedFrom));
        }
        List<Field> fields = new ArrayList<>();
        JsonNode fieldList = t.get("fields");
        if (fieldList == null || fieldList.isNull()) {
            error(path + ".fields", "missing: a type needs at least one field, e.g. fields: [{name: title,"
                    + " type: TEXT}]");
        } else if (!fieldList.isArray() || fieldList.isEmpty()) {
            error(path + ".fields", "must be a non-empty list of fields, e.g. fields: [{name: title, type: TEXT}], was "
                    + FieldValues.describe(fieldList));
        } else {
            Map<String, Integer> seen = new HashMap<>();
            for (int j = 0; j < fieldList.size(); j++) {
                String at = path + ".fields[" + j + "]";
                Field f = field(fieldList.get(j), at);
                if (f != null) {
                    Integer first = seen.putIfAbsent(f.name(), j);
                    if (first != null) {
                        error(at + ".name", "field " + f.name() + " is declared twice (also fields[" + first + "]):"
                                + " declare each field once");
                    } else {
                        fields.add(f);
                    }
                }
            }
        }
        Map<Integer, Index> indexes = new LinkedHashMap<>();
        JsonNode indexList = t.get("indexes");
        if (indexList != null && !indexList.isNull()) {
            if (!indexList.isArray()) {
                error(path + ".indexes", "must be a list of indexes, e.g. indexes: [{fields: [age]}], was "
                        + FieldValues.describe(indexList));
            } else {
                for (int k = 0; k < indexList.size(); k++) {
                    Index ix = index(indexList.get(k), path + ".indexes[" + k + "]");
                    if (ix != null) {
                        indexes.put(k, ix);
                    }
                }
            }
        }
        if (errors.size() > before) {
            return null;
        }
        return build(path, name, renamedFrom, fields, indexes);
    }

    /**
     * Builds the type with its fields, then adds the indexes one at a time, so that an index keel-core
     * refuses (an unknown or VECTOR field, a name taken) is reported at its own path.
     */
    private EntityType build(String path, String name, String renamedFrom, List<Field> fields,
            Map<Integer, Index> indexes) {
        List<Index> accepted = new ArrayList<>();
        EntityType built;
        try {
            built = build(name, renamedFrom, fields, accepted);
        } catch (IllegalArgumentException e) {
            error(path, firstLine(e));
            return null;
        }
        boolean failed = false;
        for (Map.Entry<Integer, Index> ix : indexes.entrySet()) {
            accepted.add(ix.getValue());
            try {
                built = build(name, renamedFrom, fields, accepted);
            } catch (IllegalArgumentException e) {
                accepted.remove(accepted.size() - 1);
                error(path + ".indexes[" + ix.getKey() + "]", firstLine(e));
                failed = true;
            }
        }
        return failed ? null : built;
    }

    private static EntityType build(String name, String renamedFrom, List<Field> fields, List<Index> indexes) {
        EntityType.Builder b = EntityType.builder(name);
        fields.forEach(b::field);
        indexes.forEach(b::index);
        if (renamedFrom != null) {
            b.renamedFrom(renamedFrom);
        }
        return b.build();
    }

    /**
     * One field: its keys checked, then built through {@link Field}'s modifiers in the order of
     * keel-cli's ImportReader (the default last, since it is checked against the rules; max before
     * min, so that "min above max" is reported at {@code min}).
     */
    private Field field(JsonNode node, String path) {
        if (!node.isObject()) {
            error(path, "must be a field {name: ..., type: ...}, was " + FieldValues.describe(node));
            return null;
        }
        int before = errors.size();
        keys(node, path, FIELD_KEYS, "a field");
        String name = requiredText(node, "name", path, "the field's name, e.g. name: email");
        FieldType type = fieldType(node, path);
        String target = text(node, "target", path);
        OnDelete onDelete = onDelete(node, path);
        Boolean required = flag(node, "required", path);
        Boolean unique = flag(node, "unique", path);
        Integer minLength = length(node, "minLength", path);
        Integer maxLength = length(node, "maxLength", path);
        String pattern = text(node, "pattern", path);
        String renamedFrom = text(node, "renamedFrom", path);
        JsonNode oneOf = present(node, "oneOf");
        if (oneOf != null && !oneOf.isArray()) {
            error(path + ".oneOf", "must be a list of the allowed values, e.g. oneOf: [a, b], was "
                    + FieldValues.describe(oneOf));
        }
        if (type != null && type != FieldType.REFERENCE) {
            if (target != null) {
                error(path + ".target", "only REFERENCE fields have a target: remove it, or write type: REFERENCE");
            }
            if (onDelete != null) {
                error(path + ".onDelete", "only REFERENCE fields have onDelete: remove it, or write type: REFERENCE");
            }
        }
        if (type == FieldType.REFERENCE && present(node, "target") == null) {
            error(path + ".target", "missing: a REFERENCE field needs target, the name of the type it refers to"
                    + " (e.g. target: Company)");
        }
        if (errors.size() > before) {
            return null;
        }
        if (!tryIt(path + ".name", () -> Field.of(name, FieldType.TEXT))) {
            return null;
        }
        Field start;
        try {
            start = type == FieldType.REFERENCE ? Field.reference(name, target) : Field.of(name, type);
        } catch (IllegalArgumentException e) {
            error(path + (type == FieldType.REFERENCE ? ".target" : ""), firstLine(e));
            return null;
        }
        Field f = start;
        f = required == Boolean.TRUE ? apply(f, path + ".required", Field::required) : f;
        f = onDelete != null ? apply(f, path + ".onDelete", x -> x.onDelete(onDelete)) : f;
        f = unique == Boolean.TRUE ? apply(f, path + ".unique", Field::unique) : f;
        if (minLength != null || maxLength != null) {
            int min = minLength == null ? 0 : minLength;
            int max = maxLength == null ? -1 : maxLength;
            f = apply(f, path + (minLength != null ? ".minLength" : ".maxLength"), x -> x.length(min, max));
        }
        f = pattern != null ? apply(f, path + ".pattern", x -> x.pattern(pattern)) : f;
        Object max = value(node, "max", start, path, x -> x.max(sample(x.type())));
        f = max != null ? apply(f, path + ".max", x -> x.max(max)) : f;
        Object min = value(node, "min", start, path, x -> x.min(sample(x.type())));
        f = min != null ? apply(f, path + ".min", x -> x.min(min)) : f;
        if (oneOf != null && oneOf.isArray() && probe(start, path + ".oneOf", x -> x.oneOf(sample(x.type())))) {
            List<Object> allowed = new ArrayList<>();
            for (int k = 0; k < oneOf.size(); k++) {
                Object v = value(oneOf.get(k), start.type(), path + ".oneOf[" + k + "]");
                if (v != null) {
                    allowed.add(v);
                }
            }
            if (allowed.size() == oneOf.size()) {
                f = apply(f, path + ".oneOf", x -> x.oneOf(allowed.toArray()));
            }
        }
        Object dflt = value(node, "default", start, path, x -> x);
        f = dflt != null ? apply(f, path + ".default", x -> x.defaultValue(dflt)) : f;
        f = renamedFrom != null ? apply(f, path + ".renamedFrom", x -> x.renamedFrom(renamedFrom)) : f;
        return errors.size() > before ? null : f;
    }

    private Index index(JsonNode node, String path) {
        if (!node.isObject()) {
            error(path, "must be an index {fields: [...]} (with optional name and unique), was "
                    + FieldValues.describe(node));
            return null;
        }
        int before = errors.size();
        keys(node, path, INDEX_KEYS, "an index");
        String name = text(node, "name", path);
        Boolean unique = flag(node, "unique", path);
        JsonNode fields = present(node, "fields");
        List<String> names = new ArrayList<>();
        if (fields == null) {
            error(path + ".fields", "missing: list the indexed fields, most significant first, e.g. fields: [age]");
        } else if (!fields.isArray() || fields.isEmpty()) {
            error(path + ".fields", "must be a non-empty list of field names, e.g. fields: [age], was "
                    + FieldValues.describe(fields));
        } else {
            for (int k = 0; k < fields.size(); k++) {
                JsonNode f = fields.get(k);
                if (!f.isTextual()) {
                    error(path + ".fields[" + k + "]", "must be a field name, was " + FieldValues.describe(f));
                } else {
                    names.add(f.textValue());
                }
            }
        }
        if (errors.size() > before) {
            return null;
        }
        Index ix;
        try {
            String[] on = names.toArray(new String[0]);
            ix = unique == Boolean.TRUE ? Index.unique(on) : Index.on(on);
        } catch (IllegalArgumentException e) {
            error(path + ".fields", firstLine(e));
            return null;
        }
        if (name != null) {
            try {
                ix = ix.named(name);
            } catch (IllegalArgumentException e) {
                error(path + ".name", firstLine(e));
                return null;
            }
        }
        return ix;
    }

    // ---- one key each ----

    private FieldType fieldType(JsonNode o, String path) {
        String name = requiredText(o, "type", path, "one of " + Arrays.toString(FieldType.values()));
        if (name == null) {
            return null;
        }
        try {
            return FieldType.valueOf(name);
        } catch (IllegalArgumentException e) {
            String upper = name.toUpperCase(Locale.ROOT);
            FieldType meant = Arrays.stream(FieldType.values()).filter(t -> t.name().equals(upper)).findFirst()
                    .orElse(TYPE_ALIASES.get(upper));
            error(path + ".type", "unknown field type \"" + name + "\": " + (meant != null ? "write " + meant
                    + " (field types are " : "write one of ") + Arrays.toString(FieldType.values())
                    + (meant != null ? ")" : ""));
            return null;
        }
    }

    private OnDelete onDelete(JsonNode o, String path) {
        String name = text(o, "onDelete", path);
        if (name == null) {
            return null;
        }
        try {
            return OnDelete.valueOf(name);
        } catch (IllegalArgumentException e) {
            error(path + ".onDelete", "unknown on-delete action \"" + name + "\": write one of "
                    + Arrays.toString(OnDelete.values()));
            return null;
        }
    }

    /** The value of a rule key decoded for the field's type, or null when absent or wrong (an error then). */
    private Object value(JsonNode o, String key, Field start, String path, UnaryOperator<Field> probe) {
        JsonNode v = present(o, key);
        if (v == null || !probe(start, path + "." + key, probe)) {
            return null;
        }
        return value(v, start.type(), path + "." + key);
    }

    private Object value(JsonNode v, FieldType type, String path) {
        if (v.isNull()) {
            error(path, "must be a value of the field's type " + type + ", was null");
            return null;
        }
        try {
            return FieldValues.read(v, type, Integer.MAX_VALUE);
        } catch (InvalidValueException e) {
            error(path, valueError(e, type) + " (the field's type is " + type + ")");
            return null;
        }
    }

    /** A refused rule value in the words of schema documents, which say "must be ..., was ...". */
    private static String valueError(InvalidValueException e, FieldType type) {
        String was = ", was " + FieldValues.describe(e.node());
        if (e.element() >= 0) {
            return "must be an array of numbers (element " + e.element()
                    + (e.node().isNumber() ? " is beyond the range of a float)" : " is not one)") + was;
        }
        return switch (e.kind()) {
            case BAD_BASE64 -> "not valid base64 (" + e.getCause().getMessage() + "); write the bytes as a padded"
                    + " base64 string (RFC 4648)";
            case UNPAIRED_SURROGATE, TOO_LONG -> e.getMessage();
            case WRONG_VALUE -> "must be " + switch (type) {
                case INT -> "a whole number from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE;
                case BYTES -> "a base64 string (RFC 4648, padded)";
                default -> e.expected();
            } + was + (type == FieldType.TEXT ? yamlQuoteHint(e.node()) : "");
        };
    }

    /** For a scalar that YAML read as a number or boolean where a string was meant. */
    private static String yamlQuoteHint(JsonNode v) {
        return v.isValueNode() ? " (in YAML, quote it: \"" + v.asText() + "\")" : "";
    }

    /** Whether the field's type can have the rule at all (else an error at {@code path}). */
    private boolean probe(Field start, String path, UnaryOperator<Field> rule) {
        return tryIt(path, () -> rule.apply(start));
    }

    private Field apply(Field f, String path, UnaryOperator<Field> modifier) {
        try {
            return modifier.apply(f);
        } catch (IllegalArgumentException e) {
            error(path, firstLine(e));
            return f;
        }
    }

    private boolean tryIt(String path, Runnable check) {
        try {
            check.run();
            return true;
        } catch (IllegalArgumentException e) {
            error(path, firstLine(e));
            return false;
        }
    }

    /** Any valid value of {@code type}: a probe for whether a rule applies to the type at all. */
    private static Object sample(FieldType type) {
        return switch (type) {
            case TEXT -> "";
            case INT -> 0;
            case LONG, REFERENCE -> 1L;
            case DOUBLE -> 0.0;
            case BOOLEAN -> false;
            case TIMESTAMP -> Instant.EPOCH;
            case BYTES -> new byte[0];
            case VECTOR -> new float[0];
        };
    }

    private void keys(JsonNode o, String path, List<String> allowed, String what) {
        for (Iterator<String> it = o.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!allowed.contains(k)) {
                error(join(path, k), "unknown key" + suggestion(k, allowed) + " (" + what + " has the keys "
                        + String.join(", ", allowed) + ")");
            }
        }
    }

    private static String suggestion(String key, List<String> allowed) {
        for (String a : allowed) {
            int near = Math.min(a.length(), key.length()) <= 4 ? 1 : 2;
            if (distance(a.toLowerCase(Locale.ROOT), key.toLowerCase(Locale.ROOT)) <= near) {
                return ": did you mean \"" + a + "\"?";
            }
        }
        String hint = KEY_HINTS.get(key.toLowerCase(Locale.ROOT));
        if (hint != null) {
            return ": " + hint;
        }
        if (allowed != TYPE_KEYS && TYPE_KEYS.contains(key)) {
            return ": \"" + key + "\" belongs to an entity type";
        }
        if (allowed != FIELD_KEYS && FIELD_KEYS.contains(key)) {
            return ": \"" + key + "\" belongs to a field";
        }
        return "";
    }

    /** Levenshtein distance, for "did you mean". */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static JsonNode present(JsonNode o, String key) {
        JsonNode v = o.get(key);
        return v == null || v.isNull() ? null : v;
    }

    private String requiredText(JsonNode o, String key, String path, String example) {
        JsonNode v = present(o, key);
        if (v == null) {
            error(join(path, key), "missing: write " + example);
            return null;
        }
        if (!v.isTextual()) {
            error(join(path, key), "must be a string (" + example + "), was " + FieldValues.describe(v));
            return null;
        }
        return v.textValue();
    }

    private String text(JsonNode o, String key, String path) {
        JsonNode v = present(o, key);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            error(join(path, key), "must be a string, was " + FieldValues.describe(v) + yamlQuoteHint(v));
            return null;
        }
        return v.textValue();
    }

    private Boolean flag(JsonNode o, String key, String path) {
        JsonNode v = present(o, key);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            error(join(path, key), "must be true or false, was " + FieldValues.describe(v));
            return null;
        }
        return v.booleanValue();
    }

    private Integer length(JsonNode o, String key, String path) {
        JsonNode v = present(o, key);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            error(join(path, key), "must be a whole number from 0 to " + Integer.MAX_VALUE + ", was "
                    + FieldValues.describe(v));
            return null;
        }
        return v.intValue();
    }

    private void error(String path, String message) {
        errors.add(new SchemaError(path, message));
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The first line of a message (a regex syntax error adds the pattern and a caret on more lines). */
    static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
