package dev.keel.server.api;

import dev.keel.server.ApiException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A precondition on an entity's version: {@code If-Match} / {@code If-None-Match} (entity tags are
 * {@code "<version>"}; {@code *} matches any existing entity) or a transaction operation's
 * {@code ifVersion}. Immutable.
 *
 * @param any {@code *}: any version matches
 * @param versions the versions that match when not {@code any}
 */
record VersionMatch(boolean any, Set<Long> versions) {
    VersionMatch {
        versions = Set.copyOf(versions);
    }

    /** Exactly {@code version}. */
    static VersionMatch exactly(long version) {
        return new VersionMatch(false, Set.of(version));
    }

    boolean matches(long version) {
        return any || versions.contains(version);
    }

    /** The ETag of an entity version. */
    static String etag(long version) {
        return "\"" + version + "\"";
    }

    /**
     * Parses an {@code If-Match} or {@code If-None-Match} header; {@code null} when absent.
     *
     * @param weakAllowed whether {@code W/"n"} tags count (If-None-Match compares weakly, If-Match strongly)
     * @throws ApiException 400 when the header is not {@code *} or a list of {@code "<version>"}
     */
    static VersionMatch parseHeader(String name, String value, boolean weakAllowed) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (v.equals("*")) {
            return new VersionMatch(true, Set.of());
        }
        Set<Long> versions = new LinkedHashSet<>();
        for (String part : v.split(",")) {
            String tag = part.trim();
            if (tag.startsWith("W/")) {
                if (!weakAllowed) {
                    // A weak tag never matches strongly (RFC 9110 13.1.1); our tags are all strong.
                    continue;
                }
                tag = tag.substring(2);
            }
            if (tag.length() < 3 || tag.charAt(0) != '"' || tag.charAt(tag.length() - 1) != '"') {
                throw bad(name, value);
            }
            try {
                versions.add(Long.parseLong(tag.substring(1, tag.length() - 1)));
            } catch (NumberFormatException e) {
                throw bad(name, value);
            }
        }
        return new VersionMatch(false, versions);
    }

    private static ApiException bad(String name, String value) {
        return new ApiException(400, "bad-request", "Bad request", name + ": '" + value + "' is not an entity tag"
                + " list; send the ETag of the entity as received, e.g. " + name + ": \"345\", or *")
                .with("header", name);
    }
}
