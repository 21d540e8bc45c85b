package dev.keel.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.server.ApiException;
import dev.keel.server.FieldValues;
import dev.keel.server.FieldValues.InvalidValueException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Entities as JSON: {@code {"type":"Person","id":12,"version":345,"values":{"name":"Ada"}}}, a field
 * without a value left out; and the {@code values} object of a request, checked against the type.
 *
 * <p>An entity read inside a write transaction that wrote it has version 0 until the commit (its
 * version will be the commit's LSN). Such an entity is written with {@code "version": null}, a
 * placeholder that {@link StoredResponse#render} fills with the commit LSN.
 */
final class EntityJson {
    private EntityJson() {
    }

    /** The entity's JSON; version 0 (written by the running transaction) becomes the null placeholder. */
    static ObjectNode write(Entity e) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("type", e.type());
        node.put("id", e.id());
        if (e.version() == 0) {
            node.putNull("version");
        } else {
            node.put("version", e.version());
        }
        ObjectNode values = node.putObject("values");
        e.values().forEach((name, value) -> values.set(name, FieldValues.write(value)));
        return node;
    }

    /**
     * Reads a {@code values} object: every member must name a field of {@code type}; JSON null clears
     * (the map then holds {@code null} for it).
     *
     * @param path the JSON pointer of the object (e.g. {@code /values})
     * @throws ApiException 400 {@code invalid-field} when it is not an object or a value is wrong,
     *         {@code unknown-field} for a member that is not a field of the type
     */
    static Map<String, Object> readValues(JsonNode values, EntityType type, String path, int maxVectorLength) {
        if (values == null || !values.isObject()) {
            throw ApiException.invalidField(path, path + ": expected an object of field values, got "
                    + (values == null ? "nothing" : FieldValues.describe(values)));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> m : values.properties()) {
            String at = path + "/" + pointerEscape(m.getKey());
            Optional<Field> field = type.field(m.getKey());
            if (field.isEmpty()) {
                throw unknownField(at, type, m.getKey());
            }
            out.put(m.getKey(), readValue(m.getValue(), field.get(), at, maxVectorLength));
        }
        return out;
    }

    /**
     * Reads the value of {@code field} from {@code node} ({@link FieldValues}); JSON null (or a missing
     * node) is {@code null}.
     *
     * @param path the JSON pointer of the node, for errors (e.g. {@code /values/age})
     * @param maxVectorLength most elements a VECTOR value may have
     * @throws ApiException 400 {@code invalid-field} naming the path (of the element, for a vector's
     *         element) and what was expected
     */
    static Object readValue(JsonNode node, Field field, String path, int maxVectorLength) {
        try {
            return FieldValues.read(node, field.type(), maxVectorLength);
        } catch (InvalidValueException e) {
            String at = e.element() < 0 ? path : path + "/" + e.element();
            switch (e.kind()) {
                case TOO_LONG:
                    throw ApiException.invalidField(at, at + ": " + e.getMessage()).with("maximum", maxVectorLength);
                case UNPAIRED_SURROGATE:
                    throw ApiException.invalidField(at, at + ": " + e.getMessage()).with("expected", e.expected());
                default:
                    String expected = field.type() == FieldType.REFERENCE
                            ? "a whole number (the id of the referenced " + field.target() + ")" : e.expected();
                    throw ApiException.invalidField(at, at + ": expected " + expected + " for " + field.type()
                            + " field '" + field.name() + "', got " + FieldValues.describe(e.node()))
                            .with("expected", expected);
            }
        }
    }

    static ApiException unknownField(String path, EntityType type, String name) {
        return new ApiException(400, "unknown-field", "Unknown field", path + ": " + type.name() + " has no field '"
                + name + "' (fields: " + type.fields().stream().map(Field::name).toList() + ")")
                .with("path", path).with("entityType", type.name());
    }

    /** Refuses members of {@code object} other than {@code allowed}, naming the first as a path under {@code base}. */
    static void requireOnly(JsonNode object, Set<String> allowed, String base) {
        for (Map.Entry<String, JsonNode> m : object.properties()) {
            String name = m.getKey();
            if (!allowed.contains(name)) {
                String at = base + "/" + pointerEscape(name);
                throw ApiException.invalidField(at, at + ": unknown member '" + name + "'; expected "
                        + allowed.stream().sorted().toList());
            }
        }
    }

    /** JSON pointer escaping (RFC 6901) of one reference token. */
    static String pointerEscape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }
}
