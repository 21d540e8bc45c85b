package dev.keel.server.api;

import dev.keel.EntityType;
import dev.keel.KeelDb;
import dev.keel.server.ApiException;

/** Entity types by name from the open database's schema; 404 {@code unknown-type} for any other name. */
final class Types {
    private Types() {
    }

    /** The stored type {@code name}; its path segment for errors is {@code type}. */
    static EntityType require(KeelDb db, String name) {
        for (EntityType t : db.schema()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new ApiException(404, "unknown-type", "Unknown entity type", "there is no entity type '" + name
                + "' (types: " + db.schema().stream().map(EntityType::name).toList() + "); see GET /v1/schema")
                .with("entityType", name);
    }

    /** Parses an entity id from a path segment: a whole number from 1 up. */
    static long parseId(String segment) {
        try {
            long id = Long.parseLong(segment);
            if (id >= 1) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiException(400, "bad-request", "Bad request", "'" + segment + "' is not an entity id; ids are whole"
                + " numbers from 1").with("path", "id");
    }
}
