package dev.keel.server.api;

import dev.keel.Field;
import dev.keel.server.ApiException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Values of list-query parameters, parsed by the field's type: whole numbers for LONG, INT and
 * REFERENCE, decimal numbers (or NaN, Infinity, -Infinity) for DOUBLE, {@code true}/{@code false},
 * ISO-8601 instants, base64 for BYTES, text as it is. VECTOR fields cannot be queried. Errors are
 * 400 {@code invalid-field} whose {@code path} is the parameter name.
 */
final class QueryValues {
    private static final Pattern WHOLE = Pattern.compile("-?[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    private QueryValues() {
    }

    static Object parse(Field field, String text, String parameter) {
        return switch (field.type()) {
            case TEXT -> text;
            case LONG, REFERENCE -> {
                try {
                    require(WHOLE.matcher(text).matches(), field, text, parameter, "a whole number");
                    yield Long.parseLong(text);
                } catch (NumberFormatException e) {
                    throw invalid(field, text, parameter, "a whole number in the 64-bit range");
                }
            }
            case INT -> {
                try {
                    require(WHOLE.matcher(text).matches(), field, text, parameter, "a whole number");
                    yield Integer.parseInt(text);
                } catch (NumberFormatException e) {
                    throw invalid(field, text, parameter, "a whole number in the 32-bit range");
                }
            }
            case DOUBLE -> switch (text) {
                case "NaN" -> Double.NaN;
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> {
                    require(DECIMAL.matcher(text).matches(), field, text, parameter, "a number");
                    yield Double.parseDouble(text);
                }
            };
            case BOOLEAN -> switch (text) {
                case "true" -> Boolean.TRUE;
                case "false" -> Boolean.FALSE;
                default -> throw invalid(field, text, parameter, "true or false");
            };
            case TIMESTAMP -> {
                try {
                    yield Instant.parse(text);
                } catch (DateTimeParseException e) {
                    throw invalid(field, text, parameter, "an ISO-8601 instant like 2025-01-31T12:00:00Z");
                }
            }
            case BYTES -> {
                try {
                    yield Base64.getDecoder().decode(text);
                } catch (IllegalArgumentException e) {
                    throw invalid(field, text, parameter, "base64 (RFC 4648)");
                }
            }
            case VECTOR -> throw ApiException.invalidField(parameter, parameter + ": " + field.name() + " is a VECTOR"
                    + " field, which cannot be queried or ordered by");
        };
    }

    private static void require(boolean ok, Field field, String text, String parameter, String expected) {
        if (!ok) {
            throw invalid(field, text, parameter, expected);
        }
    }

    private static ApiException invalid(Field field, String text, String parameter, String expected) {
        String shown = text.length() > 60 ? text.substring(0, 60) + "..." : text;
        return ApiException.invalidField(parameter, parameter + ": expected " + expected + " for " + field.type()
                + " field '" + field.name() + "', got '" + shown + "'").with("expected", expected);
    }
}
