package dev.keel;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A secondary index of an {@link EntityType} on one or more fields, in order: queries by equality
 * on leading fields, ranges and prefixes on the next, and ordering by them, read it instead of
 * scanning (see {@link Query} and {@link Snapshot#explain}). A unique index also makes sure that no
 * two entities share the same values of its fields (entities with a missing value never collide).
 * Its entries change in the same atomic step as the entities they describe: no snapshot, and no
 * state after a crash, shows an entity without its index entries. Immutable.
 */
public final class Index {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
    private final String name;
    private final List<String> fields;
    private final boolean unique;

    private Index(String name, List<String> fields, boolean unique) {
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("an index needs at least one field");
        }
        for (String f : fields) {
            Names.requireValid(f, "indexed field name");
        }
        if (fields.stream().distinct().count() != fields.size()) {
            throw new IllegalArgumentException("index on " + fields + " names a field twice");
        }
        this.fields = List.copyOf(fields);
        this.unique = unique;
        this.name = name != null ? name : (unique ? "unique_" : "by_") + String.join("_", fields);
        if (!NAME.matcher(this.name).matches()) {
            throw new IllegalArgumentException("index name '" + this.name + "' is not valid: use a letter followed by up"
                    + " to 63 letters, digits or underscores (name it with named())");
        }
    }

    /** A non-unique index on {@code fields}, in this order, named {@code by_<fields>}. */
    public static Index on(String... fields) {
        return new Index(null, List.of(fields), false);
    }

    /** A unique index on {@code fields}, named {@code unique_<fields>}. */
    public static Index unique(String... fields) {
        return new Index(null, List.of(fields), true);
    }

    /** A copy under another name. */
    public Index named(String newName) {
        return new Index(Objects.requireNonNull(newName, "name"), fields, unique);
    }

    public String name() {
        return name;
    }

    /** The indexed fields, most significant first. */
    public List<String> fields() {
        return fields;
    }

    public boolean isUnique() {
        return unique;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Index i && name.equals(i.name) && fields.equals(i.fields) && unique == i.unique;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, fields, unique);
    }

    @Override
    public String toString() {
        return (unique ? "unique index " : "index ") + name + fields;
    }
}
