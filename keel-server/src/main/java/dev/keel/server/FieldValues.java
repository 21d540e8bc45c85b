package dev.keel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.keel.FieldType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * The one JSON codec of field values, used for entity values on the wire ({@code api}) and for the
 * rule values of schema documents ({@code schema}: {@code default}, {@code min}, {@code max},
 * {@code oneOf}). The same rules as the keel-cli export ({@code ValueCodec}):
 *
 * <pre>
 * TEXT       string (Unicode text: no unpaired surrogate)
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
 * <p>Design. Reading is strict (a LONG must be a whole JSON number, not {@code 1.0} or {@code "1"}),
 * refuses numbers beyond the range of their type instead of rounding them to infinity, and is exact:
 * a tree read with decimals kept as {@link BigDecimal} (the API's request bodies) has its doubles
 * and floats parsed from their decimal text, so every value comes back bit for bit. A refused value
 * is an {@link InvalidValueException} saying what was expected; each caller words it in its own
 * form (the API as a 400 {@code invalid-field} problem with the JSON path, a schema document as an
 * error at the key's path), so this class holds the rules and no caller repeats them.
 * Thread-safe (stateless).
 */
public final class FieldValues {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private FieldValues() {
    }

    /** The JSON form of a stored value (its Java class decides, see {@link FieldType}); null is JSON null. */
    public static JsonNode write(Object value) {
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
     * The value of a field of {@code type} written as {@code node}; JSON null (or a missing node) is
     * {@code null}.
     *
     * @param maxVectorLength most elements a VECTOR value may have
     * @throws InvalidValueException when {@code node} is not a value of {@code type}
     */
    public static Object read(JsonNode node, FieldType type, int maxVectorLength) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        return switch (type) {
            case TEXT -> {
                require(node.isTextual(), node, "a string");
                int bad = unpairedSurrogate(node.textValue());
                if (bad >= 0) {
                    throw new InvalidValueException(Kind.UNPAIRED_SURROGATE, node, -1, "a string of Unicode text",
                            "the string has an unpaired surrogate (" + String.format("\\u%04X",
                                    (int) node.textValue().charAt(bad)) + ") at index " + bad + ", which is not"
                                    + " Unicode text; escape whole surrogate pairs or send the character as UTF-8", null);
                }
                yield node.textValue();
            }
            case LONG, REFERENCE -> {
                require(node.isIntegralNumber() && node.canConvertToLong(), node, "a whole number in the 64-bit range");
                yield node.longValue();
            }
            case INT -> {
                require(node.isIntegralNumber() && node.canConvertToInt(), node, "a whole number in the 32-bit range");
                yield node.intValue();
            }
            case DOUBLE -> readDouble(node, -1);
            case BOOLEAN -> {
                require(node.isBoolean(), node, "true or false");
                yield node.booleanValue();
            }
            case TIMESTAMP -> {
                String expected = "an ISO-8601 instant string like \"2025-01-31T12:00:00Z\"";
                require(node.isTextual(), node, expected);
                try {
                    yield Instant.parse(node.textValue());
                } catch (DateTimeParseException e) {
                    throw invalid(node, -1, expected);
                }
            }
            case BYTES -> {
                require(node.isTextual(), node, "a base64 string");
                try {
                    yield Base64.getDecoder().decode(node.textValue());
                } catch (IllegalArgumentException e) {
                    String expected = "a base64 string (RFC 4648, padded; " + e.getMessage() + ")";
                    throw new InvalidValueException(Kind.BAD_BASE64, node, -1, expected, null, e);
                }
            }
            case VECTOR -> readVector(node, maxVectorLength);
        };
    }

    /** The index of the first surrogate that is not half of a pair, or -1. */
    private static int unpairedSurrogate(String s) {
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

    /** {@code element} is the index in a vector, or -1. */
    private static double readDouble(JsonNode node, int element) {
        if (node.isNumber()) {
            double d = node.isBigDecimal() ? Double.parseDouble(node.decimalValue().toString()) : node.doubleValue();
            if (!Double.isFinite(d)) {
                throw invalid(node, element, "a number in the range of a double");
            }
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
        throw invalid(node, element, "a number (or \"NaN\", \"Infinity\", \"-Infinity\")");
    }

    private static float[] readVector(JsonNode node, int maxVectorLength) {
        require(node.isArray(), node, "an array of numbers");
        if (node.size() > maxVectorLength) {
            throw new InvalidValueException(Kind.TOO_LONG, node, -1, null, "the vector has " + node.size()
                    + " elements; this server accepts at most " + maxVectorLength + " (maxVectorLength)", null);
        }
        float[] v = new float[node.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode e = node.get(i);
            if (e.isNumber()) {
                // A double node (a tree read without BigDecimal) is rounded from the double it holds; any
                // other number from its exact decimal text.
                v[i] = e.isFloatingPointNumber() && !e.isBigDecimal() ? (float) e.doubleValue()
                        : Float.parseFloat(e.isBigDecimal() ? e.decimalValue().toString() : e.asText());
                if (!Float.isFinite(v[i])) {
                    throw invalid(e, i, "a number in the range of a float");
                }
            } else if (e.isTextual()) {
                v[i] = (float) readDouble(e, i);
            } else {
                throw invalid(e, i, "a number");
            }
        }
        return v;
    }

    private static void require(boolean ok, JsonNode node, String expected) {
        if (!ok) {
            throw invalid(node, -1, expected);
        }
    }

    private static InvalidValueException invalid(JsonNode node, int element, String expected) {
        return new InvalidValueException(Kind.WRONG_VALUE, node, element, expected, null, null);
    }

    /** The node as it was written, JSON-escaped and shortened, for messages: {@code "x"}, {@code 1.5}, {@code an object}. */
    public static String describe(JsonNode node) {
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isNumber() && !node.isBigDecimal() && !Double.isFinite(node.doubleValue())) {
            return "a number beyond the range of a double";
        }
        String s = node.toString();
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /** Why a value was refused. */
    public enum Kind {
        /** Not of the type's JSON form, or out of its range: {@link InvalidValueException#expected()} says what fits. */
        WRONG_VALUE,
        /** A BYTES string that does not decode; the decoder's exception is the cause. */
        BAD_BASE64,
        /** A TEXT string with half a surrogate pair. */
        UNPAIRED_SURROGATE,
        /** A VECTOR with more elements than allowed. */
        TOO_LONG
    }

    /**
     * A value that is not a value of the field's type. The message is a sentence without the value's
     * path; callers put it into their own form with {@link #kind}, {@link #expected}, {@link #node} and
     * {@link #element}.
     */
    public static final class InvalidValueException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        private final Kind kind;
        private final transient JsonNode node;
        private final int element;
        private final String expected;

        InvalidValueException(Kind kind, JsonNode node, int element, String expected, String message, Throwable cause) {
            super(message != null ? message : "expected " + expected + ", got " + describe(node), cause);
            this.kind = kind;
            this.node = node;
            this.element = element;
            this.expected = expected;
        }

        public Kind kind() {
            return kind;
        }

        /** The refused node: the value, or for an {@link #element} error the vector's element. */
        public JsonNode node() {
            return node;
        }

        /** The index of the refused element of a VECTOR value, or -1 when the value as a whole is refused. */
        public int element() {
            return element;
        }

        /** What a value of the type looks like, e.g. {@code a whole number in the 32-bit range}; null for TOO_LONG. */
        public String expected() {
            return expected;
        }
    }
}
