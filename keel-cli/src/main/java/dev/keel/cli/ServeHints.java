package dev.keel.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The commands {@code keel serve} suggests once the database is ready: a readiness probe, then a
 * write and a read that work on this database. A database without entity types first gets a
 * {@code PUT /v1/schema} declaring a small {@code Note} type; otherwise the write is a POST to the
 * first type whose required fields need no referenced entity, with example values that keep its
 * simple rules (oneOf, min, length).
 */
final class ServeHints {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String EXAMPLE_SCHEMA = "{\"types\":[{\"name\":\"Note\",\"fields\":[{\"name\":\"text\",\"type\":"
            + "\"TEXT\",\"required\":true},{\"name\":\"stars\",\"type\":\"INT\",\"min\":0,\"max\":5}]}]}";

    private ServeHints() {
    }

    /**
     * The suggested commands, one per element.
     *
     * @param baseUrl for example {@code http://127.0.0.1:7070}
     * @param auth whether the commands need the bearer token (sent from {@code $KEEL_TOKEN})
     */
    static List<String> commands(String baseUrl, List<EntityType> types, boolean auth, boolean tls) {
        String curl = "curl -s" + (tls ? " --cacert CA.pem" : "");
        String bearer = auth ? " -H \"Authorization: Bearer $KEEL_TOKEN\"" : "";
        String json = " -H 'Content-Type: application/json'";
        List<String> lines = new ArrayList<>();
        lines.add(curl + " " + baseUrl + "/health/ready");
        String type;
        String values;
        if (types.isEmpty()) {
            lines.add(curl + bearer + " -X PUT " + baseUrl + "/v1/schema" + json + " -d '" + EXAMPLE_SCHEMA + "'");
            type = "Note";
            values = "{\"text\":\"hello\",\"stars\":5}";
        } else {
            EntityType t = types.stream().filter(ServeHints::insertableAlone).findFirst().orElse(types.get(0));
            type = t.name();
            values = exampleValues(t);
        }
        lines.add(curl + " -i" + bearer + " -X POST " + baseUrl + "/v1/entities/" + type + json
                + " -d '{\"values\":" + values + "}'");
        lines.add(curl + bearer + " '" + baseUrl + "/v1/entities/" + type + "?limit=10'");
        return lines;
    }

    private static boolean insertableAlone(EntityType t) {
        return t.fields().stream().noneMatch(f -> f.isRequired() && f.defaultValue() == null
                && f.type() == FieldType.REFERENCE);
    }

    /** Values for the required fields without default (or the first field if there is none). */
    static String exampleValues(EntityType t) {
        ObjectNode values = JSON.createObjectNode();
        for (Field f : t.fields()) {
            if (f.isRequired() && f.defaultValue() == null) {
                put(values, f);
            }
        }
        if (values.isEmpty()) {
            t.fields().stream().filter(f -> f.type() != FieldType.REFERENCE).findFirst()
                    .ifPresent(f -> put(values, f));
        }
        return values.toString();
    }

    private static void put(ObjectNode values, Field f) {
        Optional<Object> allowed = f.allowedValues() == null ? Optional.empty()
                : f.allowedValues().stream().findFirst();
        Object v = allowed.orElse(f.min());
        String name = f.name();
        switch (f.type()) {
            case TEXT -> values.put(name, v instanceof String s ? s : text(f));
            case INT, LONG -> values.put(name, v instanceof Number n ? n.longValue() : clamp(1, f));
            case DOUBLE -> values.put(name, v instanceof Number n ? n.doubleValue() : 1.5);
            case BOOLEAN -> values.put(name, true);
            case TIMESTAMP -> values.put(name, v != null ? v.toString() : "2025-01-31T12:00:00Z");
            case BYTES -> values.put(name, "aGVsbG8=");
            case REFERENCE -> values.put(name, 1);
            case VECTOR -> {
                var array = values.putArray(name);
                for (int i = 0, n = Math.max(3, f.minLength()); i < n; i++) {
                    array.add(0.5);
                }
            }
        }
    }

    private static String text(Field f) {
        String s = "example";
        if (f.minLength() > s.length()) {
            s = s + "x".repeat(f.minLength() - s.length());
        }
        if (f.maxLength() > 0 && f.maxLength() < s.length()) {
            s = s.substring(0, f.maxLength());
        }
        return s;
    }

    private static long clamp(long n, Field f) {
        if (f.max() instanceof Number max && max.longValue() < n) {
            return max.longValue();
        }
        return n;
    }
}
