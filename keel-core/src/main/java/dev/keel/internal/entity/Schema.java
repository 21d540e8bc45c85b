package dev.keel.internal.entity;

import dev.keel.EntityType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stored schema: entity types with their stable ids, a version that grows with each change, and
 * the progress of user-defined migration steps. Immutable. {@link SchemaPlanner} plans the
 * migration from a stored schema to the declared types.
 */
public final class Schema {
    public static final Schema EMPTY = new Schema(0, List.of());

    /**
     * Progress of a user-defined migration step over the entities of one type: the entities up to
     * and including {@code lastId} have been migrated; {@code done} once all were.
     */
    public record StepState(String name, int typeId, long lastId, boolean done) {
    }

    /**
     * A REFERENCE field pointing at some type: the referring type, the field's position in it, and
     * an index of the referring type whose first field it is (every reference field has one, see
     * {@link dev.keel.EntityType}), which finds the referrers of an entity.
     */
    public record Referrer(StoredType type, int field, StoredIndex index) {
        public dev.keel.Field declaration() {
            return type.fields().get(field);
        }
    }

    private final int version;
    private final List<StepState> steps;
    private final Map<String, List<Referrer>> referrers = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, StoredType> byName = new LinkedHashMap<>();
    private final Map<Integer, StoredType> byId = new LinkedHashMap<>();
    private final StoredType[] ordered;

    public Schema(int version, Collection<StoredType> types) {
        this(version, types, List.of());
    }

    public Schema(int version, Collection<StoredType> types, List<StepState> steps) {
        this.version = version;
        this.steps = List.copyOf(steps);
        for (StoredType t : types) {
            if (byName.put(t.name(), t) != null || byId.put(t.typeId(), t) != null) {
                throw new IllegalArgumentException("duplicate stored type " + t.name() + " / id " + t.typeId());
            }
        }
        this.ordered = byName.values().toArray(new StoredType[0]);
    }

    public int version() {
        return version;
    }

    /** User-defined migration steps that have run or are running, in the order they started. */
    public List<StepState> steps() {
        return steps;
    }

    /** The reference fields, across all stored types, whose target is the type named {@code target}. */
    public List<Referrer> referrersOf(String target) {
        return referrers.computeIfAbsent(target, name -> {
            List<Referrer> out = new ArrayList<>();
            for (StoredType t : byName.values()) {
                for (int i = 0; i < t.fields().size(); i++) {
                    dev.keel.Field f = t.fields().get(i);
                    if (name.equals(f.target())) {
                        out.add(new Referrer(t, i, indexStartingWith(t, f.name())));
                    }
                }
            }
            return List.copyOf(out);
        });
    }

    private static StoredIndex indexStartingWith(StoredType t, String field) {
        for (StoredIndex ix : t.indexes()) {
            if (ix.index().fields().get(0).equals(field)) {
                return ix;
            }
        }
        throw new IllegalStateException("reference field " + t.name() + "." + field + " has no index");
    }

    /** The state of the step named {@code name}, or null if it never ran. */
    public StepState step(String name) {
        for (StepState s : steps) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    public Collection<StoredType> types() {
        return byName.values();
    }

    /** The type named {@code name}, or null. Names are interned, so a literal matches by identity first. */
    public StoredType byName(String name) {
        for (StoredType t : ordered) {
            if (t.name() == name) {
                return t;
            }
        }
        return byName.get(name);
    }

    public StoredType byId(int typeId) {
        return byId.get(typeId);
    }

    public List<EntityType> entityTypes() {
        List<EntityType> out = new ArrayList<>();
        byName.values().forEach(t -> out.add(t.type()));
        return out;
    }

    /** This schema with the progress of step {@code state.name()} replaced (or added); same version. */
    /** This schema with {@code type} replacing the stored type of the same id, at version + 1. */
    public Schema withType(StoredType type) {
        List<StoredType> next = new ArrayList<>();
        for (StoredType t : byName.values()) {
            next.add(t.typeId() == type.typeId() ? type : t);
        }
        return new Schema(version + 1, next, steps);
    }

    /** Whether {@code other} has exactly the same stored types (the same objects), so the same indexes. */
    public boolean sameTypesAs(Schema other) {
        if (other.byId.size() != byId.size()) {
            return false;
        }
        for (Map.Entry<Integer, StoredType> e : byId.entrySet()) {
            if (other.byId.get(e.getKey()) != e.getValue()) {
                return false;
            }
        }
        return true;
    }

    public Schema withStep(StepState state) {
        List<StepState> next = new ArrayList<>();
        boolean replaced = false;
        for (StepState s : steps) {
            if (s.name().equals(state.name())) {
                next.add(state);
                replaced = true;
            } else {
                next.add(s);
            }
        }
        if (!replaced) {
            next.add(state);
        }
        return new Schema(version, byName.values(), next);
    }
}
