package dev.keel.internal.entity;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Index;
import dev.keel.SchemaMismatchException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares the declared entity types with the stored schema and plans the migration between them.
 *
 * <p>Matching: a declared type matches the stored type of its name, else the one its
 * {@code renamedFrom} names (a rename keeps the type id). A declared field matches the stored field
 * of its name, else the one its {@code renamedFrom} names (keeping the field id). An unmatched
 * declared field is added under the type's next field id; an unmatched stored field is dropped and
 * its id never reused. Stored types that are not declared stay stored unchanged. (The engine
 * always declares the system types of {@link SystemTypes} besides the user's, so they are added to
 * a schema that lacks them and migrated like any type.)
 *
 * <p>Compatible: added types and fields (a new required field needs a default), dropped fields,
 * renames, widened field types ({@link FieldType#widensTo}), changed defaults, rules, required-ness,
 * uniqueness and indexes. Changes that tighten what a value may be (rules, required-ness) are
 * compatible only if the existing data satisfies them: such types are listed in
 * {@link Plan#toValidate()} and checked after replay; unique indexes are checked when they are built.
 * Everything else (narrowed or changed field types, a changed reference target, a reference to an
 * unknown type, an unfinished user migration step no longer declared) is a problem that fails the
 * open, each stated with the declaration that would fix it.
 */
public final class SchemaPlanner {

    /**
     * The result of planning.
     *
     * @param target the schema to migrate to: the stored one when nothing changed, else version + 1
     * @param changes one human-readable line per change
     * @param problems one line per incompatible change, naming what to declare instead
     * @param toValidate ids of the types whose existing entities must be checked against the new rules
     */
    public record Plan(Schema target, List<String> changes, List<String> problems, Set<Integer> toValidate) {

        public boolean changed() {
            return !changes.isEmpty();
        }

        /** The plan, if it has no problem. @throws SchemaMismatchException listing every problem */
        public Plan requireCompatible() {
            if (!problems.isEmpty()) {
                throw new SchemaMismatchException(problems);
            }
            return this;
        }
    }

    private SchemaPlanner() {
    }

    /** Plans without checking user migration steps (tools, which declare none). */
    public static Plan plan(Schema stored, List<EntityType> declared) {
        return plan(stored, declared, null);
    }

    /**
     * Plans the migration from {@code stored} to {@code declared}.
     *
     * @param declaredSteps names of the declared user migration steps, or null not to check them
     */
    public static Plan plan(Schema stored, List<EntityType> declared, Collection<String> declaredSteps) {
        List<String> changes = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<Integer> toValidate = new LinkedHashSet<>();
        // Pass 1: which stored type each declared type is.
        Map<String, StoredType> matched = new LinkedHashMap<>();
        Map<Integer, String> claimedBy = new HashMap<>();
        for (EntityType d : declared) {
            StoredType s = stored.byName(d.name());
            if (s == null && d.renamedFromName() != null) {
                s = stored.byName(d.renamedFromName());
                if (s != null && declared.stream().anyMatch(o -> o.name().equals(d.renamedFromName()))) {
                    problems.add("type " + d.name() + " is declared as renamed from " + d.renamedFromName()
                            + ", but a type " + d.renamedFromName() + " is declared too: remove one of them");
                    continue;
                }
            }
            if (s != null) {
                String other = claimedBy.putIfAbsent(s.typeId(), d.name());
                if (other != null) {
                    problems.add("types " + other + " and " + d.name() + " both match stored type " + s.name()
                            + ": declare renamedFrom on one of them only");
                    continue;
                }
                matched.put(d.name(), s);
            }
        }
        int nextTypeId = stored.types().stream().mapToInt(StoredType::typeId).max().orElse(0) + 1;
        Map<String, Integer> newTypeIds = new HashMap<>();
        for (EntityType d : declared) {
            if (!matched.containsKey(d.name())) {
                newTypeIds.put(d.name(), nextTypeId++);
            }
        }
        // Type names in the target schema: declared names, plus stored types not declared.
        Map<String, Integer> targetIds = new HashMap<>(newTypeIds);
        matched.forEach((name, s) -> targetIds.put(name, s.typeId()));
        for (StoredType s : stored.types()) {
            if (!claimedBy.containsKey(s.typeId())) {
                targetIds.putIfAbsent(s.name(), s.typeId());
            }
        }
        // Pass 2: each declared type against its stored one.
        Map<Integer, StoredType> replaced = new HashMap<>();
        List<StoredType> added = new ArrayList<>();
        for (EntityType d : declared) {
            StoredType s = matched.get(d.name());
            if (s == null) {
                if (newTypeIds.containsKey(d.name())) {
                    added.add(StoredType.create(newTypeIds.get(d.name()), asStored(d)));
                    changes.add("add type " + d.name());
                }
                continue;
            }
            StoredType t = planType(stored, s, d, targetIds, changes, problems, toValidate);
            if (t != null) {
                replaced.put(s.typeId(), t);
            }
        }
        List<StoredType> all = new ArrayList<>();
        for (StoredType s : stored.types()) {
            all.add(replaced.getOrDefault(s.typeId(), s));
        }
        all.addAll(added);
        // Every reference must name a type of the target schema.
        Map<String, StoredType> byName = new HashMap<>();
        all.forEach(t -> byName.put(t.name(), t));
        for (StoredType t : all) {
            for (Field f : t.fields()) {
                if (f.type() == FieldType.REFERENCE && !byName.containsKey(f.target())) {
                    problems.add("field " + t.name() + "." + f.name() + " references type " + f.target()
                            + ", which is neither declared nor stored: declare type " + f.target()
                            + (claimedBy.containsKey(t.typeId()) ? "" : ", or declare " + t.name()
                                    + " with the reference to the renamed type"));
                }
            }
        }
        if (declaredSteps != null) {
            for (Schema.StepState step : stored.steps()) {
                if (!step.done() && !declaredSteps.contains(step.name())) {
                    StoredType t = stored.byId(step.typeId());
                    problems.add("migration step " + step.name() + " over type " + (t != null ? t.name() : "#"
                            + step.typeId()) + " is unfinished (done up to id " + step.lastId() + ") and no longer"
                            + " declared: declare it again (KeelOptions.Builder.migration) to finish it");
                }
            }
        }
        if (changes.isEmpty() || !problems.isEmpty()) {
            return new Plan(stored, List.copyOf(changes), List.copyOf(problems), Set.copyOf(toValidate));
        }
        try {
            Schema target = new Schema(stored.version() + 1, all, stored.steps());
            return new Plan(target, List.copyOf(changes), List.of(), Set.copyOf(toValidate));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage() + ": a type is renamed to the name of another stored type; rename that one"
                    + " too, or choose another name");
            return new Plan(stored, List.copyOf(changes), List.copyOf(problems), Set.of());
        }
    }

    /** The stored form of a declared type: rename declarations removed. */
    private static EntityType asStored(EntityType d) {
        EntityType.Builder b = SystemTypes.builder(d.name().intern());
        d.fields().forEach(f -> b.field(f.withoutRename().named(f.name().intern())));
        d.indexes().forEach(b::index);
        return b.build();
    }

    /** The new stored form of {@code s} declared as {@code d}, or null after a problem. */
    private static StoredType planType(Schema stored, StoredType s, EntityType d, Map<String, Integer> targetIds,
            List<String> changes, List<String> problems, Set<Integer> toValidate) {
        String where = "type " + d.name();
        int problemsBefore = problems.size();
        if (!s.name().equals(d.name())) {
            changes.add("rename type " + s.name() + " to " + d.name());
        }
        int nextFieldId = s.nextFieldId();
        int[] ids = new int[d.fields().size()];
        Set<Integer> kept = new HashSet<>();
        for (int i = 0; i < ids.length; i++) {
            Field f = d.fields().get(i);
            String name = d.name() + "." + f.name();
            int pos = s.indexOf(f.name());
            if (pos < 0 && f.renamedFromName() != null) {
                pos = s.indexOf(f.renamedFromName());
                if (pos >= 0 && d.field(f.renamedFromName()).isPresent()) {
                    problems.add("field " + name + " is declared as renamed from " + f.renamedFromName() + ", but a"
                            + " field " + f.renamedFromName() + " is declared too: remove one of them");
                    continue;
                }
            }
            if (pos < 0) {
                ids[i] = nextFieldId++;
                if (f.isRequired() && f.defaultValue() == null) {
                    problems.add("new field " + name + " is required and has no default: existing entities would have"
                            + " no value. Declare a default (Field.defaultValue), or make it optional");
                } else {
                    changes.add("add field " + name + (f.defaultValue() != null ? " (default "
                            + Values.toString(f.defaultValue()) + ")" : " (nullable)"));
                    if (f.defaultValue() != null && (FieldRules.of(f).hasRules() || f.type() == FieldType.REFERENCE)) {
                        toValidate.add(s.typeId());
                    }
                }
                continue;
            }
            Field old = s.fields().get(pos);
            ids[i] = s.fieldId(pos);
            if (!kept.add(ids[i])) {
                problems.add("two declared fields of " + where + " match stored field " + old.name()
                        + ": declare renamedFrom on one of them only");
                continue;
            }
            if (!old.name().equals(f.name())) {
                changes.add("rename field " + s.name() + "." + old.name() + " to " + name);
            }
            if (old.type() != f.type()) {
                if (old.type().widensTo(f.type())) {
                    changes.add("widen field " + name + " from " + old.type() + " to " + f.type());
                } else {
                    problems.add("field " + name + " is stored as " + old.type() + " and declared as " + f.type()
                            + ": only widening (INT to LONG to DOUBLE) is supported. Declare it as " + old.type()
                            + ", or declare a new field (and a migration step to fill it) and drop this one");
                    continue;
                }
            }
            if (f.type() == FieldType.REFERENCE && old.type() == FieldType.REFERENCE) {
                StoredType oldTarget = stored.byName(old.target());
                Integer newTarget = targetIds.get(f.target());
                if (oldTarget == null || newTarget == null || oldTarget.typeId() != newTarget) {
                    problems.add("field " + name + " references " + old.target() + " in the stored schema but is"
                            + " declared to reference " + f.target() + ": a reference cannot change its target. Declare"
                            + " it as Field.reference(\"" + f.name() + "\", \"" + renamedTarget(old.target(),
                                    oldTarget, targetIds) + "\"), or declare a new field");
                    continue;
                }
            }
            if (!old.isRequired() && f.isRequired()) {
                changes.add("make field " + name + " required");
                toValidate.add(s.typeId());
            } else if (old.isRequired() && !f.isRequired()) {
                changes.add("make field " + name + " optional");
            }
            if (!Values.equal(old.defaultValue(), f.defaultValue())) {
                changes.add("change the default of field " + name + " to " + (f.defaultValue() == null ? "none"
                        : Values.toString(f.defaultValue())));
            }
            if (!old.sameRules(f)) {
                changes.add("change the rules of field " + name + " to " + f);
                toValidate.add(s.typeId());
            }
        }
        for (int p = 0; p < s.fields().size(); p++) {
            if (!kept.contains(s.fieldId(p))) {
                changes.add("drop field " + s.name() + "." + s.fields().get(p).name() + " (its values are removed)");
            }
        }
        if (problems.size() > problemsBefore) {
            return null;
        }
        EntityType type = asStored(d);
        // Indexes keep their id when name, fields (by id) and uniqueness are unchanged.
        int nextIndexId = s.nextIndexId();
        int[] indexIds = new int[type.indexes().size()];
        Set<Integer> keptIndexes = new HashSet<>();
        for (int k = 0; k < indexIds.length; k++) {
            Index ix = type.indexes().get(k);
            int[] fieldIds = new int[ix.fields().size()];
            for (int j = 0; j < fieldIds.length; j++) {
                fieldIds[j] = ids[type.fields().indexOf(type.field(ix.fields().get(j)).orElseThrow())];
            }
            StoredIndex same = null;
            for (StoredIndex old : s.indexes()) {
                if (old.name().equals(ix.name()) && old.unique() == ix.isUnique()
                        && java.util.Arrays.equals(old.fieldIds(), fieldIds)) {
                    same = old;
                }
            }
            if (same != null) {
                indexIds[k] = same.indexId();
                keptIndexes.add(same.indexId());
            } else {
                indexIds[k] = nextIndexId++;
                changes.add("add " + (ix.isUnique() ? "unique " : "") + "index " + d.name() + "." + ix.name()
                        + ix.fields());
            }
        }
        for (StoredIndex old : s.indexes()) {
            if (!keptIndexes.contains(old.indexId())) {
                changes.add("drop index " + s.name() + "." + old.name());
            }
        }
        StoredType t = new StoredType(s.typeId(), type, ids, indexIds, nextFieldId, nextIndexId);
        if (!sameStored(s, t)) {
            return t;
        }
        return s;
    }

    private static String renamedTarget(String oldTarget, StoredType oldTargetType, Map<String, Integer> targetIds) {
        if (oldTargetType != null) {
            for (Map.Entry<String, Integer> e : targetIds.entrySet()) {
                if (e.getValue() == oldTargetType.typeId()) {
                    return e.getKey();
                }
            }
        }
        return oldTarget;
    }

    private static boolean sameStored(StoredType a, StoredType b) {
        if (!a.type().equals(b.type()) || a.nextFieldId() != b.nextFieldId() || a.nextIndexId() != b.nextIndexId()) {
            return false;
        }
        for (int i = 0; i < a.fields().size(); i++) {
            if (a.fieldId(i) != b.fieldId(i)) {
                return false;
            }
        }
        for (int k = 0; k < a.indexes().size(); k++) {
            if (a.indexes().get(k).indexId() != b.indexes().get(k).indexId()) {
                return false;
            }
        }
        return true;
    }
}
