package dev.keel.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.server.ApiException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * Field values as JSON, one rule per {@link FieldType} (the same rules as the CLI export):
 *
 * <pre>
 * TEXT       string
 * LONG       whole number (64-bit)            INT  whole number (32-bit)
 * DOUBLE     number, or "NaN", "Infinity", "-Infinity"
 * BOOLEAN    true / false
 * TIMESTAMP  ISO-8601 instant string, e.g. "2025-01-31T12:00:00.123456789Z"
 * BYTES      base64 string (RFC 4648, padded)
 * REFERENCE  whole number: the id of the target entity
 * VECTOR     array of numbers (float); non-finite elements as the strings of DOUBLE
 * null       no value
 * </pre>
 *
 * Reading is strict (a LONG must be a whole JSON number, not {@code 1.0} or {@code "1"}) and exact:
 * request trees are read with decimals kept as {@link BigDecimal} ({@link RequestBody}), and doubles
 * and floats are parsed from their decimal text, so every value comes back bit for bit. Errors are
 * 400 {@code invalid-field} naming the JSON path and what was expected. Thread-safe (stateless).
 */
final class ValueJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ValueJson() {
    }

    /** The JSON form of a stored value (its Java class decides, see {@link FieldType}). */
    static JsonNode write(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof String s) {
            return NODES.textNode(s);
        }
        if (value instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (value instanceof Integer i) {
            return NODES.numberNode(i);
        }
        if (value instanceof Double d) {
            return Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(nonFinite(d));
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Instant t) {
            return NODES.textNode(t.toString());
        }
        if (value instanceof byte[] bytes) {
            return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
        }
        if (value instanceof float[] vector) {
            ArrayNode a = NODES.arrayNode(vector.length);
            for (float f : vector) {
                a.add(Float.isFinite(f) ? NODES.numberNode(f) : NODES.textNode(nonFinite(f)));
            }
            return a;
        }
        throw new IllegalStateException("no JSON form for a " + value.getClass().getName());
    }

    private static String nonFinite(double d) {
        return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    }

    /**
     * Reads the value of {@code field} from {@code node}; JSON null (or a missing node) is {@code null}.
     *
     * @param path the JSON pointer of the node, for errors (e.g. {@code /values/age})
     * @param maxVectorLength most elements a VECTOR value may have
     * @throws ApiException 400 {@code invalid-field} naming {@code path} and what was expected
     */
    static Object read(JsonNode node, Field field, String path, int maxVectorLength) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        FieldType type = field.type();
        return switch (type) {
            case TEXT -> {
                require(node.isTextual(), node, field, path, "a string");
                int bad = unpairedSurrogate(node.textValue());
                if (bad >= 0) {
                    throw ApiException.invalidField(path, path + ": the string has an unpaired surrogate ("
                            + String.format("\\u%04X", (int) node.textValue().charAt(bad)) + ") at index " + bad
                            + ", which is not Unicode text; escape whole surrogate pairs or send the character as UTF-8")
                            .with("expected", "a string of Unicode text");
                }
                yield node.textValue();
            }
            case LONG, REFERENCE -> {
                String expected = type == FieldType.LONG ? "a whole number in the 64-bit range"
                        : "a whole number (the id of the referenced " + field.target() + ")";
                require(node.isIntegralNumber() && node.canConvertToLong(), node, field, path, expected);
                yield node.longValue();
            }
            case INT -> {
                require(node.isIntegralNumber() && node.canConvertToInt(), node, field, path,
                        "a whole number in the 32-bit range");
                yield node.intValue();
            }
            case DOUBLE -> readDouble(node, field, path);
            case BOOLEAN -> {
                require(node.isBoolean(), node, field, path, "true or false");
                yield node.booleanValue();
            }
            case TIMESTAMP -> {
                String expected = "an ISO-8601 instant string like \"2025-01-31T12:00:00Z\"";
                require(node.isTextual(), node, field, path, expected);
                try {
                    yield Instant.parse(node.textValue());
                } catch (DateTimeParseException e) {
                    throw invalid(node, field, path, expected);
                }
            }
            case BYTES -> {
                require(node.isTextual(), node, field, path, "a base64 string");
                try {
                    yield Base64.getDecoder().decode(node.textValue());
                } catch (IllegalArgumentException e) {
                    throw invalid(node, field, path, "a base64 string (RFC 4648, padded; " + e.getMessage() + ")");
                }
            }
            case VECTOR -> readVector(node, field, path, maxVectorLength);
        };
    }

    /** The index of the first surrogate that is not half of a pair, or -1. */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static double readDouble(JsonNode node, Field field, String path) {
        if (node.isNumber()) {
            double d = node.isBigDecimal() ? Double.parseDouble(node.decimalValue().toString()) : node.doubleValue();
            require(Double.isFinite(d), node, field, path, "a number in the range of a double");
            return d;
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
        throw invalid(node, field, path, "a number (or \"NaN\", \"Infinity\", \"-Infinity\")");
    }

    private static float[] readVector(JsonNode node, Field field, String path, int maxVectorLength) {
        require(node.isArray(), node, field, path, "an array of numbers");
        if (node.size() > maxVectorLength) {
            throw ApiException.invalidField(path, path + ": the vector has " + node.size() + " elements; this server"
                    + " accepts at most " + maxVectorLength + " (maxVectorLength)").with("maximum", maxVectorLength);
        }
        float[] v = new float[node.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode e = node.get(i);
            String at = path + "/" + i;
            if (e.isNumber()) {
                v[i] = Float.parseFloat(e.isBigDecimal() ? e.decimalValue().toString() : e.asText());
                require(Float.isFinite(v[i]), e, field, at, "a number in the range of a float");
            } else if (e.isTextual()) {
                v[i] = (float) readDouble(e, field, at);
            } else {
                throw invalid(e, field, at, "a number");
            }
        }
        return v;
    }

    private static void require(boolean ok, JsonNode node, Field field, String path, String expected) {
        if (!ok) {
            throw invalid(node, field, path, expected);
        }
    }

    private static ApiException invalid(JsonNode node, Field field, String path, String expected) {
        return ApiException.invalidField(path, path + ": expected " + expected + " for " + field.type() + " field '"
                + field.name() + "', got " + describe(node)).with("expected", expected);
    }

    /** The node as it appeared in the request, shortened. */
    static String describe(JsonNode node) {
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "an array";
        }
        String s = node.isTextual() ? "\"" + node.textValue() + "\"" : node.toString();
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
