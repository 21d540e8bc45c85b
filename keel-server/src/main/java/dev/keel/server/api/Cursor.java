package dev.keel.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.Field;
import dev.keel.server.ApiException;
import dev.keel.server.FieldValues;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The opaque {@code cursor} of a list page: where the previous page ended, as a keyset position
 * (the last entity's order value and id), plus a fingerprint of the query it belongs to.
 *
 * <p>Keyset, not offset: the next page starts strictly after (value, id) in the query's order, so
 * pages neither repeat nor skip an entity while writes go on (an entity whose order value changes
 * between pages may of course move across the boundary). A cursor is the URL-safe base64 (no
 * padding) of {@code {"q":"<query fingerprint>","id":<last id>,"k":<last order value>}}; {@code k}
 * is absent when the list is in id order, and JSON null when the last entity had no value for the
 * order field. It is not signed: a forged one can only select a starting point of the same query.
 *
 * @param query the fingerprint of the query ({@link ListQuery#fingerprint()})
 * @param id the id of the last entity of the page
 * @param hasKey whether the list is ordered by a field (else by id)
 * @param key the last entity's value of the order field (null for none)
 */
record Cursor(String query, long id, boolean hasKey, Object key) {
    private static final ObjectMapper JSON = new ObjectMapper();

    String encode() {
        ObjectNode n = JSON.createObjectNode();
        n.put("q", query);
        n.put("id", id);
        if (hasKey) {
            n.set("k", FieldValues.write(key));
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(n.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Decodes a cursor of the query with {@code fingerprint}, ordered by {@code orderField} (null: by id).
     *
     * @throws ApiException 400 {@code invalid-cursor} when it is malformed or belongs to another query
     */
    static Cursor decode(String text, String fingerprint, Field orderField) {
        JsonNode n;
        try {
            n = JSON.readTree(Base64.getUrlDecoder().decode(text));
        } catch (IllegalArgumentException | IOException e) {
            throw invalid("it is not a cursor this server returned");
        }
        if (n == null || !n.isObject() || !n.path("q").isTextual() || !n.path("id").canConvertToLong()
                || !n.path("id").isIntegralNumber()) {
            throw invalid("it is not a cursor this server returned");
        }
        if (!n.get("q").textValue().equals(fingerprint)) {
            throw invalid("it belongs to a different query (type, filters or order differ); a cursor continues only"
                    + " the query that returned it, with any limit");
        }
        boolean hasKey = n.has("k");
        if (hasKey != (orderField != null)) {
            throw invalid("it does not match the query's order");
        }
        Object key = null;
        if (hasKey) {
            try {
                key = EntityJson.readValue(n.get("k"), orderField, "cursor", Integer.MAX_VALUE);
            } catch (ApiException e) {
                throw invalid("its position does not fit the order field " + orderField.name() + " (" + e.detail() + ")");
            }
        }
        return new Cursor(n.get("q").textValue(), n.get("id").longValue(), hasKey, key);
    }

    private static ApiException invalid(String why) {
        return new ApiException(400, "invalid-cursor", "Invalid cursor", "the cursor cannot be used: " + why + ". Start"
                + " again without a cursor").with("path", "cursor");
    }
}
