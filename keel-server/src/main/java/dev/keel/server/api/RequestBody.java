package dev.keel.server.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.keel.server.ApiException;
import dev.keel.server.FieldValues;
import dev.keel.server.ServerContext;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;

/**
 * A request's JSON body: its raw bytes (for idempotency fingerprints) and its tree.
 *
 * <p>Reading checks, in order: the {@code Content-Type} ({@code application/json}, for PATCH also
 * {@code application/merge-patch+json}; 415 {@code unsupported-media-type} otherwise); the size (Javalin
 * stops reading past {@code maxBodyBytes}, with or without a Content-Length, and answers 413
 * {@code body-too-large} through {@link dev.keel.server.Problems}); the JSON itself (400
 * {@code invalid-json} with line and column); the mapper's limits (400 {@code invalid-json} naming the
 * limit, {@code maxJsonDepth} or {@code maxStringLength}, and its value); and that the body is an object.
 */
record RequestBody(byte[] bytes, JsonNode tree) {
    static final Set<String> JSON = Set.of("application/json");
    static final Set<String> JSON_OR_MERGE_PATCH = Set.of("application/json", "application/merge-patch+json");

    /** Reads the body of {@code ctx}, which must have one of the {@code accepted} media types. */
    static RequestBody read(Context ctx, ServerContext server, Set<String> accepted) {
        requireMediaType(ctx.contentType(), accepted);
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length == 0) {
            throw new ApiException(400, "invalid-json", "Invalid JSON", "the request body is empty; send a JSON object"
                    + " (see the API in the README)");
        }
        return new RequestBody(bytes, parse(bytes, server));
    }

    static void requireMediaType(String contentType, Set<String> accepted) {
        String mediaType = contentType == null ? null
                : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (mediaType == null || !accepted.contains(mediaType)) {
            String want = String.join(" or ", accepted.stream().sorted().toList());
            throw new ApiException(415, "unsupported-media-type", "Unsupported media type", (contentType == null
                    ? "the request has no Content-Type" : "Content-Type " + contentType + " is not accepted here")
                    + "; send the body as " + want).with("accepted", accepted.stream().sorted().toList());
        }
    }

    private static JsonNode parse(byte[] bytes, ServerContext server) {
        // Decimals stay BigDecimal so that doubles and floats are parsed from their exact text (FieldValues).
        ObjectReader reader = server.json().reader().with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        JsonNode tree;
        try {
            tree = reader.readTree(bytes);
        } catch (StreamConstraintsException e) {
            throw limitExceeded(e, server);
        } catch (JsonProcessingException e) {
            throw invalidJson(e);
        } catch (IOException e) {
            throw new ApiException(400, "invalid-json", "Invalid JSON", "the request body could not be read: "
                    + e.getMessage());
        }
        if (tree == null || tree.isMissingNode()) {
            throw new ApiException(400, "invalid-json", "Invalid JSON", "the request body holds no JSON value; send a"
                    + " JSON object");
        }
        if (!tree.isObject()) {
            throw ApiException.invalidField("", "the request body must be a JSON object, not "
                    + FieldValues.describe(tree));
        }
        return tree;
    }

    private static ApiException limitExceeded(StreamConstraintsException e, ServerContext server) {
        String message = String.valueOf(e.getOriginalMessage());
        String limit;
        long maximum;
        String what;
        if (message.contains("nesting depth")) {
            limit = "maxJsonDepth";
            maximum = server.config().maxJsonDepth();
            what = "nests deeper than " + maximum + " levels";
        } else if (message.contains("String value length")) {
            limit = "maxStringLength";
            maximum = server.config().maxStringLength();
            what = "has a string longer than " + maximum + " characters";
        } else {
            // Jackson's own defaults (number length, name length, ...): name what Jackson said.
            return new ApiException(400, "invalid-json", "Invalid JSON", "the request body exceeds a JSON limit: "
                    + message).with("limit", "jackson");
        }
        ApiException a = new ApiException(400, "invalid-json", "Invalid JSON", "the request body " + what
                + ", which this server does not accept (" + limit + " = " + maximum + "); send a smaller document")
                .with("limit", limit).with("maximum", maximum);
        JsonLocation at = e.getLocation();
        if (at != null && at.getLineNr() > 0) {
            a.with("line", at.getLineNr()).with("column", at.getColumnNr());
        }
        return a;
    }

    private static ApiException invalidJson(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() <= 0 ? "" : " at line " + at.getLineNr() + ", column "
                + at.getColumnNr();
        ApiException a = new ApiException(400, "invalid-json", "Invalid JSON", "the request body is not valid JSON"
                + where + ": " + e.getOriginalMessage());
        if (!where.isEmpty()) {
            a.with("line", at.getLineNr()).with("column", at.getColumnNr());
        }
        return a;
    }
}
