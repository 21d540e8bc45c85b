package dev.keel.server.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.keel.FieldType;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * Rule values of a schema document ({@code default}, {@code min}, {@code max}, {@code oneOf}
 * elements), encoded like field values in the wire format and the CLI export (keel-cli
 * {@code ValueCodec}):
 *
 * <pre>
 * TEXT       string
 * LONG, INT  whole number (INT in the 32-bit range)
 * DOUBLE     number, or the string "NaN", "Infinity" or "-Infinity"
 * BOOLEAN    true / false
 * TIMESTAMP  ISO-8601 instant string, e.g. "2025-01-31T12:00:00Z"
 * BYTES      base64 string (RFC 4648, padded)
 * REFERENCE  whole number (an entity id)
 * VECTOR     array of numbers; non-finite elements as the strings of DOUBLE
 * </pre>
 *
 * Decoding is strict: a LONG must be a whole number, not {@code 1.5} or {@code "1"}; a value of the
 * wrong kind is an {@link IllegalArgumentException} whose message says what to write instead.
 */
final class SchemaValues {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private SchemaValues() {
    }

    /** The Java value of {@code node} for a field of {@code type}; {@code node} is not null nor JSON null. */
    static Object read(JsonNode node, FieldType type) {
        return switch (type) {
            case TEXT -> {
                if (!node.isTextual()) {
                    throw new IllegalArgumentException("must be a string, was " + describe(node) + (node.isValueNode()
                            ? " (in YAML, quote it: \"" + node.asText() + "\")" : ""));
                }
                yield node.textValue();
            }
            case INT -> {
                if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                    throw wrong(node, "a whole number from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE);
                }
                yield node.intValue();
            }
            case LONG, REFERENCE -> {
                if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                    throw wrong(node, "a whole number in the 64-bit range");
                }
                yield node.longValue();
            }
            case DOUBLE -> readDouble(node, "a number (or \"NaN\", \"Infinity\", \"-Infinity\")");
            case BOOLEAN -> {
                if (!node.isBoolean()) {
                    throw wrong(node, "true or false");
                }
                yield node.booleanValue();
            }
            case TIMESTAMP -> {
                String example = "an ISO-8601 instant string like \"2025-01-31T12:00:00Z\"";
                if (!node.isTextual()) {
                    throw wrong(node, example);
                }
                try {
                    yield Instant.parse(node.textValue());
                } catch (DateTimeParseException e) {
                    throw wrong(node, example);
                }
            }
            case BYTES -> {
                if (!node.isTextual()) {
                    throw wrong(node, "a base64 string (RFC 4648, padded)");
                }
                try {
                    yield Base64.getDecoder().decode(node.textValue());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("not valid base64 (" + e.getMessage() + "); write the bytes as a"
                            + " padded base64 string (RFC 4648)");
                }
            }
            case VECTOR -> {
                if (!node.isArray()) {
                    throw wrong(node, "an array of numbers");
                }
                float[] v = new float[node.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) readDouble(node.get(i), "an array of numbers (element " + i + " is not one)");
                }
                yield v;
            }
        };
    }

    private static double readDouble(JsonNode node, String expected) {
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isTextual()) {
            switch (node.textValue()) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        throw wrong(node, expected);
    }

    /** The document form of {@code value}, a value of a field of {@code type}. */
    static JsonNode write(FieldType type, Object value) {
        return switch (type) {
            case TEXT -> NODES.textNode((String) value);
            case INT -> NODES.numberNode((Integer) value);
            case LONG, REFERENCE -> NODES.numberNode((Long) value);
            case DOUBLE -> writeDouble((Double) value);
            case BOOLEAN -> NODES.booleanNode((Boolean) value);
            case TIMESTAMP -> NODES.textNode(value.toString());
            case BYTES -> NODES.textNode(Base64.getEncoder().encodeToString((byte[]) value));
            case VECTOR -> {
                ArrayNode a = NODES.arrayNode();
                for (float f : (float[]) value) {
                    a.add(Float.isFinite(f) ? NODES.numberNode(f) : writeDouble(f));
                }
                yield a;
            }
        };
    }

    private static JsonNode writeDouble(double d) {
        if (Double.isFinite(d)) {
            return NODES.numberNode(d);
        }
        return NODES.textNode(Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    }

    /** A short rendering of {@code node} for messages. */
    static String describe(JsonNode node) {
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "an array";
        }
        String s = node.toString();
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    private static IllegalArgumentException wrong(JsonNode node, String expected) {
        return new IllegalArgumentException("must be " + expected + ", was " + describe(node));
    }
}
