package dev.keel;

import java.util.regex.Pattern;

/** Validation of type and field names: a letter, then letters, digits or underscores, at most 64. */
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
}
