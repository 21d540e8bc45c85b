package dev.keel.testkit;

import static dev.keel.testkit.FaultTestSupport.replay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.OnDelete;
import dev.keel.Snapshot;
import dev.keel.Transaction;
import dev.keel.testkit.WorkloadModel.Op;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The second workload of the crash matrix: entity types linked by foreign keys, and transactions
 * that are large cascade deletes, with a model that applies CASCADE and SET_NULL on its own (not
 * through the engine) and the checks G1 and G3 ask for after a crash.
 *
 * <p>Schema: a Team has a lead (Person, SET_NULL); a Person belongs to a Team (CASCADE) and has a
 * mentor (Person, SET_NULL); a Task has an owner (Person, CASCADE), a parent (Task, CASCADE: chains
 * of subtasks) and a reviewer (Person, SET_NULL). Team and Person refer to each other (a cycle
 * across types), Person and Task refer to themselves. Mentors, reviewers, leads and the owners of
 * subtasks are drawn from the whole population, so deleting one team cascades into tasks of other
 * teams and clears fields everywhere: a cascade delete of tens to hundreds of entities across the
 * three types. With long names the fields it clears alone make the transaction larger than a
 * 64 KiB log segment (the writer grows that segment; a transaction never spans two).
 *
 * <p>Model: one {@link Writer} owns everything; each of its transactions sets the
 * {@code CascadeClock} entity's {@code seq} to its number, so after a crash {@code seq} says how many
 * of them survived ({@code m}) and the database must equal the model after exactly {@code m}
 * transactions. {@link #assertConsistent} checks that, and names the two failures this workload is
 * about on their own: a cascade visible in part (the root and all it deletes present with the
 * SET_NULL fields unchanged, or all gone with those fields cleared), and a dangling reference.
 */
final class CascadeModel {
    private CascadeModel() {
    }

    static final String TEAM = "Team";
    static final String PERSON = "Person";
    static final String TASK = "Task";
    static final String CLOCK = "CascadeClock";

    static final List<EntityType> TYPES = List.of(
            EntityType.builder(TEAM).field(Field.longField("tx").required()).field(Field.text("name"))
                    .field(Field.reference("lead", PERSON).onDelete(OnDelete.SET_NULL)).build(),
            EntityType.builder(PERSON).field(Field.longField("tx").required()).field(Field.text("name"))
                    .field(Field.reference("team", TEAM).required().onDelete(OnDelete.CASCADE))
                    .field(Field.reference("mentor", PERSON).onDelete(OnDelete.SET_NULL)).build(),
            EntityType.builder(TASK).field(Field.longField("tx").required()).field(Field.text("title"))
                    .field(Field.reference("owner", PERSON).required().onDelete(OnDelete.CASCADE))
                    .field(Field.reference("parent", TASK).onDelete(OnDelete.CASCADE))
                    .field(Field.reference("reviewer", PERSON).onDelete(OnDelete.SET_NULL)).build(),
            EntityType.builder(CLOCK).field(Field.longField("seq").required()).build());

    /** One reference field, written down here independently of the engine's schema. */
    record Rule(String type, String field, String target, OnDelete action) {
    }

    static final List<Rule> RULES = List.of(
            new Rule(TEAM, "lead", PERSON, OnDelete.SET_NULL),
            new Rule(PERSON, "team", TEAM, OnDelete.CASCADE),
            new Rule(PERSON, "mentor", PERSON, OnDelete.SET_NULL),
            new Rule(TASK, "owner", PERSON, OnDelete.CASCADE),
            new Rule(TASK, "parent", TASK, OnDelete.CASCADE),
            new Rule(TASK, "reviewer", PERSON, OnDelete.SET_NULL));

    private static final List<String> DATA_TYPES = List.of(TEAM, PERSON, TASK);
    private static final List<String> ALL_TYPES = List.of(TEAM, PERSON, TASK, CLOCK);

    record Key(String type, long id) {
        @Override
        public String toString() {
            return type + "#" + id;
        }
    }

    /** A cascade delete: its root, every entity it deletes (root included) and the fields it clears with their old values. */
    record Cascade(int seq, Key root, Set<Key> deletes, Map<Key, Map<String, Object>> clears) {
        int size() {
            return deletes.size() + clears.size();
        }

        /** Roughly how many bytes its log records take: a delete is small, a clear rewrites the entity. */
        long approxBytes(Map<String, TreeMap<Long, Map<String, Object>>> before) {
            long n = 24L * deletes.size();
            for (Key k : clears.keySet()) {
                for (Object v : before.get(k.type()).get(k.id()).values()) {
                    n += v instanceof String text ? text.length() : 9;
                }
            }
            return n;
        }
    }

    /** type -> id -> values (no null values; maps never changed in place). */
    static Map<String, TreeMap<Long, Map<String, Object>>> emptyState() {
        Map<String, TreeMap<Long, Map<String, Object>>> s = new HashMap<>();
        for (String t : ALL_TYPES) {
            s.put(t, new TreeMap<>());
        }
        return s;
    }

    private static Map<String, TreeMap<Long, Map<String, Object>>> copy(Map<String, TreeMap<Long, Map<String, Object>>> s) {
        Map<String, TreeMap<Long, Map<String, Object>>> c = new HashMap<>();
        s.forEach((t, m) -> c.put(t, new TreeMap<>(m)));
        return c;
    }

    /**
     * What deleting {@code root} does in {@code state}, by the model's rules: CASCADE referrers are
     * deleted (each once, so cycles end), SET_NULL fields of entities that stay are cleared.
     */
    static Cascade plan(int seq, Map<String, TreeMap<Long, Map<String, Object>>> state, Key root) {
        Set<Key> deletes = new LinkedHashSet<>();
        Map<Key, Map<String, Object>> clears = new LinkedHashMap<>();
        ArrayDeque<Key> queue = new ArrayDeque<>();
        deletes.add(root);
        queue.add(root);
        while (!queue.isEmpty()) {
            Key victim = queue.poll();
            for (Rule r : RULES) {
                if (!r.target().equals(victim.type())) {
                    continue;
                }
                state.get(r.type()).forEach((id, values) -> {
                    if (!Long.valueOf(victim.id()).equals(values.get(r.field()))) {
                        return;
                    }
                    Key referrer = new Key(r.type(), id);
                    if (r.action() == OnDelete.CASCADE) {
                        if (deletes.add(referrer)) {
                            queue.add(referrer);
                        }
                    } else {
                        clears.computeIfAbsent(referrer, k -> new LinkedHashMap<>()).put(r.field(), victim.id());
                    }
                });
            }
        }
        clears.keySet().removeAll(deletes);
        return new Cascade(seq, root, deletes, clears);
    }

    /** The writer of the cascade workload and its model. Not thread-safe; one per database. */
    static final class Writer {
        final SplittableRandom random;
        /** Each attempted transaction's changes, in order; applied in order they give the model. */
        final List<List<Op>> attempted = new ArrayList<>();
        /** For each attempted transaction its cascade delete, or null. */
        final List<Cascade> cascades = new ArrayList<>();
        private Map<String, TreeMap<Long, Map<String, Object>>> state = emptyState();
        private int acked;
        /** Size of the largest cascade committed, in deleted entities plus cleared entities. */
        int largestCascade;
        /** Roughly the log bytes of the largest cascade committed. */
        long largestCascadeBytes;
        int cascadesAcked;
        /** Runs before each cascade delete of {@link #commitNext} begins (a test arms a crash here). */
        Runnable beforeCascadeDelete = () -> { };

        Writer(long seed) {
            this.random = new SplittableRandom(seed);
        }

        int acked() {
            return acked;
        }

        int population() {
            return state.get(TEAM).size() + state.get(PERSON).size() + state.get(TASK).size();
        }

        /** The next transaction: grows the graph, edits links or deletes with cascades, by chance and size. */
        void commitNext(KeelDb db, boolean big) {
            int dice = random.nextInt(100);
            int people = state.get(PERSON).size();
            if (people < 8 || (population() < 600 && dice < 40)) {
                grow(db, big);
            } else if (dice < 55) {
                edit(db, big);
            } else {
                cascadeDelete(db, big);
            }
        }

        /** Inserts a team of 2 to 16 people with tasks and chains of subtasks, linked into the rest. */
        void grow(KeelDb db, boolean big) {
            run(db, big, (tx, w, seq) -> {
                growIn(tx, w, seq, big);
                return null;
            });
        }

        private void growIn(Transaction tx, Map<String, TreeMap<Long, Map<String, Object>>> w, int seq, boolean big) {
            List<Long> oldPeople = new ArrayList<>(w.get(PERSON).keySet());
            long team = insert(tx, w, TEAM, values(seq, "name", text(big)));
            List<Long> members = new ArrayList<>();
            for (int i = 0, n = 2 + random.nextInt(15); i < n; i++) {
                Map<String, Object> v = values(seq, "name", text(big), "team", team);
                List<Long> mentors = random.nextBoolean() ? oldPeople : members;
                if (!mentors.isEmpty() && random.nextInt(3) != 0) {
                    v.put("mentor", pick(mentors));
                }
                members.add(insert(tx, w, PERSON, v));
            }
            List<Long> everyone = new ArrayList<>(w.get(PERSON).keySet());
            for (int chain = 0, chains = random.nextInt(9); chain < chains; chain++) {
                Long parent = !w.get(TASK).isEmpty() && random.nextInt(3) == 0 ? pick(new ArrayList<>(
                        w.get(TASK).keySet())) : null;
                for (int depth = 0, n = 1 + random.nextInt(12); depth < n; depth++) {
                    long owner = random.nextInt(4) == 0 ? pick(everyone) : pick(members);
                    Map<String, Object> v = values(seq, "title", text(big), "owner", owner);
                    if (parent != null) {
                        v.put("parent", parent);
                    }
                    if (random.nextBoolean()) {
                        v.put("reviewer", pick(everyone));
                    }
                    parent = insert(tx, w, TASK, v);
                }
            }
            // The cycle: this team is led by one of its people, or by someone from another team;
            // and now and then another team gets a lead from this one.
            update(tx, w, TEAM, team, "lead", random.nextInt(4) == 0 ? pick(everyone) : pick(members));
            if (w.get(TEAM).size() > 1 && random.nextBoolean()) {
                update(tx, w, TEAM, pick(new ArrayList<>(w.get(TEAM).keySet())), "lead", pick(members));
            }
        }

        /** Changes a few links and names, some to null. */
        void edit(KeelDb db, boolean big) {
            run(db, big, (tx, w, seq) -> {
                List<Long> people = new ArrayList<>(w.get(PERSON).keySet());
                for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
                    switch (random.nextInt(4)) {
                        case 0 -> update(tx, w, PERSON, pick(people), "mentor",
                                random.nextInt(4) == 0 ? null : pick(people));
                        case 1 -> {
                            if (!w.get(TASK).isEmpty()) {
                                update(tx, w, TASK, pick(new ArrayList<>(w.get(TASK).keySet())), "reviewer",
                                        random.nextInt(4) == 0 ? null : pick(people));
                            }
                        }
                        case 2 -> update(tx, w, TEAM, pick(new ArrayList<>(w.get(TEAM).keySet())), "lead",
                                random.nextInt(4) == 0 ? null : pick(people));
                        default -> update(tx, w, PERSON, pick(people), "name", text(big));
                    }
                }
                return null;
            });
        }

        /**
         * Deletes a team (mostly), a person or a task, and so everything its cascades reach; sometimes
         * also inserts a person into a surviving team in the same transaction. A big one replaces the
         * team with a new one of long names in the same transaction: often larger than a segment.
         */
        void cascadeDelete(KeelDb db, boolean big) {
            beforeCascadeDelete.run();
            run(db, big, (tx, w, seq) -> {
                int dice = random.nextInt(100);
                String type = dice < 60 ? TEAM : dice < 90 || w.get(TASK).isEmpty() ? PERSON : TASK;
                List<Long> ids = new ArrayList<>(w.get(type).keySet());
                Key root = new Key(type, pick(ids));
                if (type.equals(TEAM)) {
                    // The team of three drawn whose cascade reaches furthest.
                    for (int i = 0; i < 2; i++) {
                        Key other = new Key(TEAM, pick(ids));
                        if (plan(seq, w, other).size() > plan(seq, w, root).size()) {
                            root = other;
                        }
                    }
                }
                Cascade c = delete(tx, w, seq, root);
                if (big) {
                    growIn(tx, w, seq, true);
                } else if (random.nextInt(3) == 0 && !w.get(TEAM).isEmpty()) {
                    insert(tx, w, PERSON, values(seq, "name", text(big), "team",
                            pick(new ArrayList<>(w.get(TEAM).keySet()))));
                }
                return c;
            });
        }

        /**
         * Deletes {@code root} in the engine and applies the model's plan of it to {@code w}, then
         * compares the counts the transaction sees with the model's, so a difference between the
         * engine's cascade and the model's shows here, before any crash.
         */
        private Cascade delete(Transaction tx, Map<String, TreeMap<Long, Map<String, Object>>> w, int seq, Key root) {
            Cascade c = plan(seq, w, root);
            pendingBytes = c.approxBytes(w);
            assertTrue(tx.delete(root.type(), root.id()), "delete of live " + root);
            c.clears().forEach((k, fields) -> {
                Map<String, Object> v = new LinkedHashMap<>(w.get(k.type()).get(k.id()));
                v.keySet().removeAll(fields.keySet());
                put(w, k, v);
            });
            for (Key k : c.deletes()) {
                put(w, k, null);
            }
            for (String t : DATA_TYPES) {
                assertEquals(w.get(t).size(), tx.count(t), "the engine's cascade of deleting " + root
                        + " differs from the model's in " + t + " (model: deletes " + c.deletes().size()
                        + ", clears " + c.clears().size() + ")");
            }
            return c;
        }

        private interface Body {
            Cascade apply(Transaction tx, Map<String, TreeMap<Long, Map<String, Object>>> working, int seq);
        }

        private List<Op> ops;
        private long pendingBytes;

        /** Runs one transaction on a copy of the model; on acknowledgement the copy becomes the model. */
        private void run(KeelDb db, boolean big, Body body) {
            int seq = attempted.size() + 1;
            Map<String, TreeMap<Long, Map<String, Object>>> working = copy(state);
            ops = new ArrayList<>();
            try (Transaction tx = db.begin()) {
                TreeMap<Long, Map<String, Object>> clock = working.get(CLOCK);
                if (clock.isEmpty()) {
                    insert(tx, working, CLOCK, new LinkedHashMap<>(Map.of("seq", (long) seq)));
                } else {
                    long id = clock.firstKey();
                    tx.update(CLOCK, id, Map.of("seq", (long) seq));
                    put(working, new Key(CLOCK, id), Map.of("seq", (long) seq));
                }
                Cascade c = body.apply(tx, working, seq);
                attempted.add(ops);
                cascades.add(c);
                tx.commit();
                if (c != null) {
                    cascadesAcked++;
                    largestCascade = Math.max(largestCascade, c.size());
                    largestCascadeBytes = Math.max(largestCascadeBytes, pendingBytes);
                }
            }
            acked = seq;
            state = working;
        }

        private long insert(Transaction tx, Map<String, TreeMap<Long, Map<String, Object>>> w, String type,
                Map<String, Object> v) {
            long id = tx.insert(type, v);
            put(w, new Key(type, id), Map.copyOf(v));
            return id;
        }

        private void update(Transaction tx, Map<String, TreeMap<Long, Map<String, Object>>> w, String type, long id,
                String field, Object value) {
            Map<String, Object> change = new HashMap<>();
            change.put(field, value);
            tx.update(type, id, change);
            Map<String, Object> v = new LinkedHashMap<>(w.get(type).get(id));
            if (value == null) {
                v.remove(field);
            } else {
                v.put(field, value);
            }
            put(w, new Key(type, id), v);
        }

        private void put(Map<String, TreeMap<Long, Map<String, Object>>> w, Key k, Map<String, Object> v) {
            if (v == null) {
                w.get(k.type()).remove(k.id());
            } else {
                w.get(k.type()).put(k.id(), v);
            }
            ops.add(new Op(k.type(), k.id(), v));
        }

        private Map<String, Object> values(int seq, Object... kv) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tx", (long) seq);
            for (int i = 0; i < kv.length; i += 2) {
                m.put((String) kv[i], kv[i + 1]);
            }
            return m;
        }

        private long pick(List<Long> ids) {
            return ids.get(random.nextInt(ids.size()));
        }

        private String text(boolean big) {
            int len = big ? 1000 + random.nextInt(3000) : 1 + random.nextInt(60);
            char[] c = new char[len];
            for (int i = 0; i < len; i++) {
                c[i] = (char) ('a' + random.nextInt(26));
            }
            return new String(c);
        }

        /** The model after the first {@code m} transactions. */
        Map<String, TreeMap<Long, Map<String, Object>>> modelAfter(int m) {
            Map<String, TreeMap<Long, Map<String, Object>>> s = emptyState();
            for (int i = 0; i < m; i++) {
                for (Op op : attempted.get(i)) {
                    if (op.values() == null) {
                        s.get(op.type()).remove(op.id());
                    } else {
                        s.get(op.type()).put(op.id(), op.values());
                    }
                }
            }
            return s;
        }

        /**
         * Continues after a crash from what survived: the first {@code m} transactions. Forgets the
         * ones after them, which were never acknowledged.
         */
        void resume(int m) {
            while (attempted.size() > m) {
                attempted.remove(attempted.size() - 1);
                cascades.remove(cascades.size() - 1);
            }
            state = modelAfter(m);
            acked = m;
        }

        /** Deletes the team whose cascade reaches most, as one transaction. */
        void deleteLargestTeam(KeelDb db) {
            Key best = null;
            int most = -1;
            for (long id : state.get(TEAM).keySet()) {
                int n = plan(0, state, new Key(TEAM, id)).size();
                if (n > most) {
                    most = n;
                    best = new Key(TEAM, id);
                }
            }
            if (best == null) {
                grow(db, false);
                return;
            }
            Key root = best;
            run(db, false, (tx, w, seq) -> delete(tx, w, seq, root));
        }
    }

    // ---- verification --------------------------------------------------------------------------

    /** The cascade workload's entities in a snapshot: type -> id -> values. */
    static Map<String, TreeMap<Long, Map<String, Object>>> contents(Snapshot s) {
        Map<String, TreeMap<Long, Map<String, Object>>> all = emptyState();
        for (String type : ALL_TYPES) {
            s.scan(type).forEach((Entity e) -> all.get(type).put(e.id(), new LinkedHashMap<>(e.values())));
        }
        return all;
    }

    /** Every non-null reference that points at no entity of its target type. */
    static List<String> danglingReferences(Map<String, TreeMap<Long, Map<String, Object>>> all) {
        List<String> dangling = new ArrayList<>();
        for (Rule r : RULES) {
            all.get(r.type()).forEach((id, values) -> {
                Object ref = values.get(r.field());
                if (ref != null && !all.get(r.target()).containsKey((Long) ref)) {
                    dangling.add(r.type() + "#" + id + "." + r.field() + " -> " + r.target() + "#" + ref);
                }
            });
        }
        return dangling;
    }

    /**
     * Checks a recovered snapshot against the writer: the clock says how many transactions survived
     * ({@code m}, at least {@code required}); no reference dangles; the cascade transactions next to
     * the crash (number {@code m}, applied, and {@code m + 1}, not applied) are wholly visible or
     * wholly absent; and everything equals the model after exactly {@code m} transactions. Returns
     * {@code m}.
     */
    static int assertConsistent(Snapshot s, Writer w, int required, String context, long seed) {
        Map<String, TreeMap<Long, Map<String, Object>>> actual = contents(s);
        TreeMap<Long, Map<String, Object>> clock = actual.get(CLOCK);
        assertTrue(clock.size() <= 1, "more than one CascadeClock: " + clock + "; " + context + "; " + replay(seed));
        int m = clock.isEmpty() ? 0 : Math.toIntExact((Long) clock.firstEntry().getValue().get("seq"));
        String where = "cascade writer (acknowledged " + w.acked() + ", attempted " + w.attempted.size()
                + ", required " + required + ", found " + m + "); " + context + "; " + replay(seed);
        assertTrue(m >= required, "an acknowledged transaction is missing: " + where);
        assertTrue(m <= w.attempted.size(), "a transaction that was never attempted is present: " + where);

        if (m >= 1 && w.cascades.get(m - 1) != null) {
            assertCascade(actual, w.cascades.get(m - 1), true, where);
        }
        if (m < w.attempted.size() && w.cascades.get(m) != null) {
            assertCascade(actual, w.cascades.get(m), false, where);
        }
        List<String> dangling = danglingReferences(actual);
        assertTrue(dangling.isEmpty(), "DANGLING REFERENCES after recovery (" + dangling.size() + "): "
                + dangling.subList(0, Math.min(20, dangling.size())) + "; " + where);
        Map<String, TreeMap<Long, Map<String, Object>>> expected = w.modelAfter(m);
        for (String type : ALL_TYPES) {
            assertEquals(expected.get(type), actual.get(type), type + " entities differ from the model after exactly "
                    + m + " transactions (a partially visible transaction or a lost/changed entity): " + where);
        }
        return m;
    }

    /** A cascade delete is wholly applied (all gone, fields cleared) or wholly not (all there, fields as they were). */
    private static void assertCascade(Map<String, TreeMap<Long, Map<String, Object>>> actual, Cascade c,
            boolean applied, String where) {
        List<String> present = new ArrayList<>();
        List<String> gone = new ArrayList<>();
        for (Key k : c.deletes()) {
            (actual.get(k.type()).containsKey(k.id()) ? present : gone).add(k.toString());
        }
        List<String> cleared = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        c.clears().forEach((k, fields) -> {
            Map<String, Object> now = actual.get(k.type()).get(k.id());
            fields.forEach((field, old) -> {
                String name = k + "." + field;
                if (now == null) {
                    gone.add(name + " (entity gone)");
                } else {
                    (old.equals(now.get(field)) ? kept : cleared).add(name);
                }
            });
        });
        boolean whole = applied ? present.isEmpty() && kept.isEmpty() : gone.isEmpty() && cleared.isEmpty();
        assertTrue(whole, "PARTIAL CASCADE: the delete of " + c.root() + " (transaction " + c.seq() + ", "
                + c.deletes().size() + " entities, " + c.clears().size() + " with SET_NULL fields) must be "
                + (applied ? "wholly applied" : "wholly absent") + ", but present " + head(present) + ", gone "
                + head(gone) + ", fields unchanged " + head(kept) + ", fields cleared " + head(cleared) + "; " + where);
    }

    private static String head(List<String> l) {
        return l.size() + (l.isEmpty() ? "" : " " + l.subList(0, Math.min(8, l.size())));
    }
}
