package dev.keel.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.keel.FieldType;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;

/**
 * Field values in the export format, one rule per {@link FieldType}:
 *
 * <pre>
 * TEXT       string
 * LONG       number (whole)
 * INT        number (whole, 32-bit)
 * DOUBLE     number, or the string "NaN", "Infinity" or "-Infinity"
 * BOOLEAN    true / false
 * TIMESTAMP  ISO-8601 instant string, e.g. "2025-01-31T12:00:00.123456789Z"
 * BYTES      base64 string (RFC 4648, with padding, no line breaks)
 * REFERENCE  number: the id of the target entity
 * VECTOR     array of numbers (float); non-finite elements as the strings of DOUBLE
 * </pre>
 *
 * Decoding is strict (a LONG must be a whole JSON number, not 1.0 or "1") and exact: decimals are
 * parsed from their text, so every double and float comes back bit for bit.
 */
final class ValueCodec {
    private ValueCodec() {
    }

    static void write(JsonGenerator g, FieldType type, Object value) throws IOException {
        switch (type) {
            case TEXT -> g.writeString((String) value);
            case LONG, REFERENCE -> g.writeNumber((Long) value);
            case INT -> g.writeNumber((Integer) value);
            case DOUBLE -> writeDouble(g, (Double) value);
            case BOOLEAN -> g.writeBoolean((Boolean) value);
            case TIMESTAMP -> g.writeString(value.toString());
            case BYTES -> g.writeString(Base64.getEncoder().encodeToString((byte[]) value));
            case VECTOR -> {
                float[] v = (float[]) value;
                g.writeStartArray(v, v.length);
                for (float f : v) {
                    if (Float.isFinite(f)) {
                        g.writeNumber(f);
                    } else {
                        g.writeString(nonFinite(f));
                    }
                }
                g.writeEndArray();
            }
        }
    }

    private static void writeDouble(JsonGenerator g, double d) throws IOException {
        if (Double.isFinite(d)) {
            g.writeNumber(d);
        } else {
            g.writeString(nonFinite(d));
        }
    }

    private static String nonFinite(double d) {
        return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    }

    /**
     * Reads the value at the parser's current token (which must be the value's first token) and
     * leaves the parser on its last token. JSON null is returned as {@code null} (no value).
     *
     * @param what names the value in error messages, e.g. {@code Person.age}
     */
    static Object read(JsonParser p, FieldType type, String what) throws IOException, BadInput {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        return switch (type) {
            case TEXT -> {
                require(t == JsonToken.VALUE_STRING, p, what, "a string");
                yield p.getText();
            }
            case LONG, REFERENCE -> {
                require(t == JsonToken.VALUE_NUMBER_INT, p, what, type == FieldType.LONG ? "a whole number"
                        : "a whole number (the id of the referenced entity)");
                require(p.getNumberType() != JsonParser.NumberType.BIG_INTEGER, p, what, "a whole number in the"
                        + " 64-bit range");
                yield p.getLongValue();
            }
            case INT -> {
                require(t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT, p, what,
                        "a whole number in the 32-bit range");
                yield p.getIntValue();
            }
            case DOUBLE -> readDouble(p, what);
            case BOOLEAN -> {
                require(t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE, p, what, "true or false");
                yield t == JsonToken.VALUE_TRUE;
            }
            case TIMESTAMP -> {
                require(t == JsonToken.VALUE_STRING, p, what, "an ISO-8601 instant string like"
                        + " \"2025-01-31T12:00:00Z\"");
                try {
                    yield Instant.parse(p.getText());
                } catch (DateTimeParseException e) {
                    throw bad(p, what, "an ISO-8601 instant string like \"2025-01-31T12:00:00Z\"");
                }
            }
            case BYTES -> {
                require(t == JsonToken.VALUE_STRING, p, what, "a base64 string");
                try {
                    yield Base64.getDecoder().decode(p.getText());
                } catch (IllegalArgumentException e) {
                    throw new BadInput(what + ": not valid base64 (" + e.getMessage() + ")");
                }
            }
            case VECTOR -> readVector(p, what);
        };
    }

    private static double readDouble(JsonParser p, String what) throws IOException, BadInput {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            return Double.parseDouble(p.getText());
        }
        if (t == JsonToken.VALUE_STRING) {
            switch (p.getText()) {
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
        throw bad(p, what, "a number (or \"NaN\", \"Infinity\", \"-Infinity\")");
    }

    private static float[] readVector(JsonParser p, String what) throws IOException, BadInput {
        require(p.currentToken() == JsonToken.START_ARRAY, p, what, "an array of numbers");
        float[] v = new float[16];
        int n = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            String element = what + "[" + n + "]";
            if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                v = n == v.length ? Arrays.copyOf(v, n * 2) : v;
                v[n++] = Float.parseFloat(p.getText());
            } else if (t == JsonToken.VALUE_STRING) {
                double d = readDouble(p, element);
                v = n == v.length ? Arrays.copyOf(v, n * 2) : v;
                v[n++] = (float) d;
            } else {
                throw bad(p, element, "a number");
            }
        }
        return Arrays.copyOf(v, n);
    }

    private static void require(boolean ok, JsonParser p, String what, String expected) throws IOException, BadInput {
        if (!ok) {
            throw bad(p, what, expected);
        }
    }

    private static BadInput bad(JsonParser p, String what, String expected) throws IOException {
        return new BadInput(what + ": expected " + expected + ", got " + describe(p));
    }

    /** The current token as it appears in the input, shortened. */
    static String describe(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> {
                String s = p.getText();
                yield "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
            }
            default -> p.getText();
        };
    }
}
