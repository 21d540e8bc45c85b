package dev.keel;

import dev.keel.internal.entity.SystemTypes;
import java.util.regex.Pattern;

/**
 * Validation of type and field names: a letter, then letters, digits or underscores, at most 64;
 * user type names must not start with the reserved {@code keel_}.
 */
final class Names {
    private static final Pattern VALID = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");

    private Names() {
    }

    static String requireValid(String name, String what) {
        if (name == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (!VALID.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " '" + name + "' is not valid: use a letter followed by"
                    + " up to 63 letters, digits or underscores");
        }
        return name;
    }

    /**
     * {@link #requireValid} for the name of a user-declared entity type, which must not start with
     * the prefix reserved for system types.
     */
    static String requireUserTypeName(String name, String what) {
        requireValid(name, what);
        if (SystemTypes.isSystem(name)) {
            throw new IllegalArgumentException(what + " '" + name + "' is reserved: names starting with "
                    + SystemTypes.PREFIX + " belong to KeelDB's own system types (such as " + SystemTypes.IDEMPOTENCY
                    + ", the records of KeelDb.writeIdempotent); choose a name without that prefix");
        }
        return name;
    }
}
