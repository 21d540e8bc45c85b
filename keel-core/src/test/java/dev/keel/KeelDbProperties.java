package dev.keel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.keel.testutil.DbFiles;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded model test of {@link KeelDb}: random sequences of inserts, updates, deletes, multi-entity
 * transactions (committed, rolled back explicitly, rolled back by an exception, partly invalid),
 * checkpoints, clean close and reopen (sometimes in another durability mode, sometimes without
 * declaring the types), crash images (a copy of the directory of the open database, which is what
 * a process kill leaves) and held snapshots, checked against a plain in-memory model after every
 * step: every entity by get, scan order and values, scan from an id, count, entity versions, LSNs,
 * id assignment, and that a held snapshot never changes.
 *
 * <p>Integrity (G3): three types refer to each other with every on-delete action: {@code
 * Note.account} SET_NULL, {@code Note.parent} CASCADE (a self-reference, so chains and cycles),
 * {@code Tag.owner} CASCADE and {@code Tag.note} RESTRICT. The model applies the same actions to
 * a delete (clearing or deleting the referrers, recursively, in the same transaction; a cleared
 * referrer counts as written) or predicts the {@code restrict} violation that changes nothing.
 * Written references point at entities of the working model (those inserted earlier in the same
 * transaction included); invalid operations also write a reference to a missing entity, an INT
 * outside its min/max, and a taken unique {@code Account.email} (drawn from a small pool so values
 * collide), each expected to fail with its rule and change nothing. After every step (and on held
 * snapshots, transaction views, reopens and crash images) no snapshot shows a dangling reference,
 * the maintained index entries equal those rebuilt from the entities ({@code Engine.indexProblems}),
 * and random queries (equality on indexed fields, ranges on INT and LONG, prefixes of text, orders
 * and limits) return what the same filter, order and limit give on the model.
 *
 * <p>Runs several random seeds (or only {@code -Dkeel.test.seed=<seed>}), each printed at its
 * start and named in every assertion message; {@code -Dkeel.test.multiplier=<n>} scales the steps.
 * A failing seed's database directory is kept under {@code target/failed-dbs/<seed>/}. Segments and
 * the checkpoint trigger are 64 KiB, so log rotation and automatic checkpoints happen often.
 */
class KeelDbProperties {
    private static final int MULTIPLIER = Integer.getInteger("keel.test.multiplier", 1);
    private static final int SEEDS = 5;
    private static final int STEPS = 300;

    static final EntityType ACCOUNT = EntityType.builder("Account")
            .requiredField("name", FieldType.TEXT)
            .field(Field.longField("balance").defaultValue(0L))
            .field(Field.doubleField("score"))
            .field(Field.bool("active"))
            .field(Field.bytes("data"))
            .field(Field.timestamp("updated"))
            .field(Field.text("email").unique())
            .field(Field.intField("level").min(0).max(99))
            .index("name")
            .index("level", "name")
            .build();

    static final EntityType NOTE = EntityType.builder("Note")
            .requiredField("rank", FieldType.LONG)
            .field(Field.text("text").defaultValue("-"))
            .field(Field.reference("account", "Account").onDelete(OnDelete.SET_NULL))
            .field(Field.reference("parent", "Note").onDelete(OnDelete.CASCADE))
            .field(Field.vector("vec"))
            .index("account", "rank")
            .build();

    static final EntityType TAG = EntityType.builder("Tag")
            .requiredField("label", FieldType.TEXT)
            .field(Field.reference("note", "Note"))
            .field(Field.reference("owner", "Account").onDelete(OnDelete.CASCADE))
            .field(Field.intField("weight").min(-5).max(5))
            .build();

    static final List<EntityType> TYPES = List.of(ACCOUNT, NOTE, TAG);

    /** The field every entity of a type must have, and a numeric one, per type. */
    static final Map<String, String> REQUIRED = Map.of("Account", "name", "Note", "rank", "Tag", "label");
    static final Map<String, String> NUMERIC = Map.of("Account", "balance", "Note", "rank", "Tag", "weight");

    /** Small pools, so that equal values (index duplicates, unique collisions) are common. */
    static final List<String> NAMES = List.of("", "a", "a\u0000", "a\u0000b", "ab", "b", "bob", "Bob", "\u00e9t\u00e9",
            "\uff21x", "\ud83d\ude00", "\ud83d\ude00a", "zz");
    static final List<String> EMAILS = List.of("e0@x", "e1@x", "e2@x", "e3@x", "e4@x", "e5@x", "e6@x", "e7@x", "e8@x",
            "e9@x", "e10@x", "e11@x");
    static final List<String> LABELS = List.of("red", "green", "blue", "\ud83d\ude00");

    /** A reference field: {@code type.field} points at {@code target}. */
    record Ref(String type, String field, String target, OnDelete action) {
    }

    static final List<Ref> REFS = TYPES.stream().flatMap(t -> t.fields().stream()
            .filter(f -> f.type() == FieldType.REFERENCE)
            .map(f -> new Ref(t.name(), f.name(), f.target(), f.onDeleteAction()))).toList();

    /** An entity: type and id. */
    record Key(String type, long id) {
        @Override
        public String toString() {
            return type + "#" + id;
        }
    }

    @TempDir
    Path tmp;

    @Test
    void randomOperationSequencesMatchAReferenceModel() {
        Long fixed = Long.getLong("keel.test.seed");
        List<Long> seeds = new ArrayList<>();
        if (fixed != null) {
            seeds.add(fixed);
        } else {
            for (int i = 0; i < SEEDS; i++) {
                seeds.add(ThreadLocalRandom.current().nextLong());
            }
        }
        int steps = STEPS * MULTIPLIER;
        for (long seed : seeds) {
            System.out.println("KeelDbProperties: seed=" + seed + ", " + steps + " steps (replay with -Dkeel.test.seed="
                    + seed + ")");
        }
        // Seeds run in parallel, each on its own directory: the run is bound by fsync latency, not CPU.
        ExecutorService pool = Executors.newFixedThreadPool(seeds.size());
        List<Future<?>> runs = new ArrayList<>();
        try {
            for (long seed : seeds) {
                runs.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    Run run = new Run(seed, tmp.resolve("seed" + seed), steps);
                    run.execute();
                    System.out.println("KeelDbProperties: seed=" + seed + " passed in "
                            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms; covered " + run.covered);
                }));
            }
            AssertionError first = null;
            for (Future<?> run : runs) {
                try {
                    run.get();
                } catch (ExecutionException e) {
                    AssertionError failure = e.getCause() instanceof AssertionError a ? a
                            : new AssertionError("unexpected " + e.getCause(), e.getCause());
                    if (first == null) {
                        first = failure;
                    } else {
                        first.addSuppressed(failure);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            pool.shutdown();
        }
    }

    /** The reference: committed values and versions per type and id, plain maps. */
    static final class Model {
        final Map<String, TreeMap<Long, Map<String, Object>>> data = new HashMap<>();
        final Map<String, TreeMap<Long, Long>> versions = new HashMap<>();

        Model() {
            for (EntityType t : TYPES) {
                data.put(t.name(), new TreeMap<>());
                versions.put(t.name(), new TreeMap<>());
            }
        }

        Model copy() {
            Model m = new Model();
            for (EntityType t : TYPES) {
                for (Map.Entry<Long, Map<String, Object>> e : data.get(t.name()).entrySet()) {
                    m.data.get(t.name()).put(e.getKey(), new LinkedHashMap<>(e.getValue()));
                }
                m.versions.get(t.name()).putAll(versions.get(t.name()));
            }
            return m;
        }

        TreeMap<Long, Map<String, Object>> of(String type) {
            return data.get(type);
        }
    }

    /** Thrown by work given to {@link KeelDb#write} to make it roll back. */
    static final class Abort extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Abort() {
            super("deliberate abort", null, false, false);
        }
    }

    private static final Durability[] MODES = Durability.values();

    /** One seeded run against one database directory (a new one after each crash image). */
    final class Run {
        final long seed;
        final SplittableRandom rnd;
        final int steps;
        final Path root;
        Path dir;
        KeelDb db;
        Durability durability = Durability.SYNC;
        int generation;
        Model model = new Model();
        final Map<String, Long> maxCommittedId = new HashMap<>();
        final Map<String, Long> sessionFloor = new HashMap<>();
        long lastLsn;
        int step;
        String op = "open";
        Snapshot held;
        Model heldModel;
        long heldLsn;
        /** How often the rarer paths ran, printed when the seed passes (a check that they do run). */
        final Map<String, Integer> covered = new TreeMap<>();

        void cover(String what) {
            covered.merge(what, 1, Integer::sum);
        }

        Run(long seed, Path dir, int steps) {
            this.seed = seed;
            this.rnd = new SplittableRandom(seed);
            this.root = dir;
            this.dir = dir;
            this.steps = steps;
            for (EntityType t : TYPES) {
                maxCommittedId.put(t.name(), 0L);
                sessionFloor.put(t.name(), 0L);
            }
        }

        String where() {
            return "seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + ") step=" + step + " op=" + op
                    + " durability=" + durability + " dir=" + dir.getFileName();
        }

        Supplier<String> at(String what) {
            return () -> where() + ": " + what;
        }

        KeelOptions options(boolean declareTypes) {
            KeelOptions.Builder b = KeelOptions.builder()
                    .segmentSizeInBytes(64 * 1024)
                    .checkpointLogSizeInBytes(64 * 1024)
                    .durability(durability);
            if (declareTypes) {
                b.entityTypes(ACCOUNT, NOTE, TAG);
            }
            return b.build();
        }

        void execute() {
            try {
                db = KeelDb.open(dir, options(true));
                assertEquals(TYPES, db.schema(), at("declared schema"));
                lastLsn = db.snapshot().lsn();
                verify();
                for (step = 1; step <= steps; step++) {
                    step();
                    verify();
                }
                step++;
                op = "final close and reopen";
                reopen(true);
                verify();
                db.close();
            } catch (Throwable t) {
                closeQuietly();
                String kept = DbFiles.keepFailed(dir, String.valueOf(seed));
                String message = t instanceof AssertionError && String.valueOf(t.getMessage()).contains("seed=" + seed)
                        ? t.getMessage() : where() + ": unexpected " + t;
                throw new AssertionError(message + "; " + kept, t);
            }
        }

        void closeQuietly() {
            if (db != null) {
                try {
                    db.close();
                } catch (RuntimeException e) {
                    System.out.println(where() + ": close after failure threw " + e);
                }
            }
        }

        // ------------------------------------------------------------ steps

        void step() {
            int r = rnd.nextInt(100);
            if (r < 22) {
                op = "insert";
                insertOne();
            } else if (r < 36) {
                op = "update";
                updateOne();
            } else if (r < 44) {
                op = "delete";
                deleteOne();
            } else if (r < 47) {
                op = "update-missing";
                updateMissing();
            } else if (r < 60) {
                op = "transaction";
                multiCommitted();
            } else if (r < 66) {
                op = "rollback";
                multiRolledBack();
            } else if (r < 71) {
                op = "abort-in-write";
                multiAborted();
            } else if (r < 76) {
                op = "invalid-in-transaction";
                invalidInTransaction();
            } else if (r < 81) {
                op = "checkpoint";
                checkpoint();
            } else if (r < 87) {
                op = "reopen";
                reopen(rnd.nextInt(10) < 7);
            } else if (r < 90) {
                op = "crash-image";
                crashImage();
            } else if (r < 97) {
                op = "hold-snapshot";
                held = db.snapshot();
                heldModel = model.copy();
                heldLsn = held.lsn();
            } else {
                op = "unique-collision-in-transaction";
                uniqueCollisionInTransaction();
            }
        }

        String randomType() {
            return TYPES.get(rnd.nextInt(TYPES.size())).name();
        }

        EntityType type(String name) {
            for (EntityType t : TYPES) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
            throw new IllegalArgumentException(name);
        }

        void insertOne() {
            String type = randomType();
            Map<String, Object> values = insertValues(type, model);
            long id;
            switch (rnd.nextInt(3)) {
                case 0 -> id = db.write(tx -> tx.insert(type, values));
                case 1 -> {
                    try (Transaction tx = db.begin()) {
                        id = tx.insert(type, values);
                        tx.commit();
                    }
                }
                default -> {
                    long[] holder = new long[1];
                    db.execute(tx -> holder[0] = tx.insert(type, values));
                    id = holder[0];
                }
            }
            Model next = model.copy();
            Set<String> touched = new HashSet<>();
            checkNewId(type, id, next);
            next.of(type).put(id, canonicalInsert(type, values));
            touched.add(type + "#" + id);
            committed(next, touched);
        }

        void updateOne() {
            String type = randomType();
            if (model.of(type).isEmpty()) {
                insertOne();
                return;
            }
            long id = randomExisting(model, type);
            Map<String, Object> changes = updateValues(type, model, id);
            if (rnd.nextBoolean()) {
                db.execute(tx -> tx.update(type, id, changes));
            } else {
                try (Transaction tx = db.begin()) {
                    tx.update(type, id, changes);
                    tx.commit();
                }
            }
            Model next = model.copy();
            applyUpdate(next.of(type).get(id), type, changes);
            committed(next, Set.of(type + "#" + id));
        }

        void deleteOne() {
            String type = randomType();
            boolean existing = !model.of(type).isEmpty() && rnd.nextInt(5) > 0;
            long id = existing ? randomExisting(model, type) : randomMissing(model, type);
            DeleteEffect effect = existing ? planDelete(model, type, id) : null;
            if (effect != null && !effect.blockers().isEmpty()) {
                ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                        () -> db.write(tx -> tx.delete(type, id)), at("delete of " + type + "#" + id
                        + ", which " + effect.blockers() + " refer to through a RESTRICT reference"));
                checkRestrict(e, effect);
                unchanged();
                return;
            }
            boolean deleted = db.<Boolean>write(tx -> tx.delete(type, id));
            assertEquals(existing, deleted, at("delete " + type + "#" + id + " result"));
            Model next = model.copy();
            Set<String> touched = new HashSet<>();
            if (existing) {
                apply(next, effect, touched);
            }
            committed(next, touched);
        }

        void updateMissing() {
            String type = randomType();
            long id = randomMissing(model, type);
            Map<String, Object> changes = updateValues(type, model, id);
            assertThrows(EntityNotFoundException.class, () -> db.execute(tx -> tx.update(type, id, changes)),
                    at("update of missing " + type + "#" + id));
            unchanged();
        }

        /** Several random operations, committed through an explicit transaction or db.write. */
        void multiCommitted() {
            int n = 2 + rnd.nextInt(5);
            Model[] working = new Model[1];
            Set<String> touched = new HashSet<>();
            if (rnd.nextBoolean()) {
                try (Transaction tx = db.begin()) {
                    working[0] = model.copy();
                    for (int i = 0; i < n; i++) {
                        randomTxOp(tx, working[0], touched);
                    }
                    tx.commit();
                }
            } else {
                db.execute(tx -> {
                    working[0] = model.copy();
                    touched.clear();
                    for (int i = 0; i < n; i++) {
                        randomTxOp(tx, working[0], touched);
                    }
                });
            }
            committed(working[0], touched);
        }

        void multiRolledBack() {
            int n = 1 + rnd.nextInt(5);
            Model working = model.copy();
            Set<String> touched = new HashSet<>();
            boolean explicit = rnd.nextBoolean();
            Transaction tx = db.begin();
            try {
                for (int i = 0; i < n; i++) {
                    randomTxOp(tx, working, touched);
                }
                if (explicit) {
                    tx.rollback();
                    assertThrows(DatabaseClosedException.class, tx::commit, at("commit after rollback"));
                }
            } finally {
                tx.close();
            }
            unchanged();
        }

        void multiAborted() {
            int n = 1 + rnd.nextInt(5);
            Abort abort = new Abort();
            Abort thrown = assertThrows(Abort.class, () -> db.execute(tx -> {
                Model working = model.copy();
                Set<String> touched = new HashSet<>();
                for (int i = 0; i < n; i++) {
                    randomTxOp(tx, working, touched);
                }
                throw abort;
            }), at("abort in write"));
            assertSame(abort, thrown, at("the work's exception propagates"));
            unchanged();
        }

        /**
         * Valid operations around one invalid one: in db.write the invalid one rolls everything back;
         * in an explicit transaction it fails alone and the rest commits.
         */
        void invalidInTransaction() {
            int before = rnd.nextInt(3);
            int after = rnd.nextInt(3);
            if (rnd.nextBoolean()) {
                Class<? extends KeelException> expected = expectedForNextInvalid();
                KeelException e = assertThrows(expected, () -> db.execute(tx -> {
                    Model working = model.copy();
                    Set<String> touched = new HashSet<>();
                    for (int i = 0; i < before; i++) {
                        randomTxOp(tx, working, touched);
                    }
                    invalidOp(tx, working, touched).run();
                }), at("invalid operation in db.write"));
                checkInvalid(e);
                unchanged();
            } else {
                Model working = model.copy();
                Set<String> touched = new HashSet<>();
                try (Transaction tx = db.begin()) {
                    for (int i = 0; i < before; i++) {
                        randomTxOp(tx, working, touched);
                    }
                    Class<? extends KeelException> expected = expectedForNextInvalid();
                    KeelException e = assertThrows(expected, invalidOp(tx, working, touched)::run,
                            at("invalid operation in a transaction"));
                    checkInvalid(e);
                    checkTransactionView(tx, working, "after a failed operation");
                    for (int i = 0; i < after; i++) {
                        randomTxOp(tx, working, touched);
                    }
                    tx.commit();
                }
                committed(working, touched);
            }
        }

        private int nextInvalid;
        /** The rule the next invalid operation breaks (null: not checked), and the entity it collides with. */
        private String expectedRule;
        private Long expectedConflict;

        Class<? extends KeelException> expectedForNextInvalid() {
            nextInvalid = rnd.nextInt(12);
            expectedRule = null;
            expectedConflict = null;
            return nextInvalid == 6 ? EntityNotFoundException.class : ConstraintViolationException.class;
        }

        void checkInvalid(KeelException e) {
            if (expectedRule == null) {
                return;
            }
            ConstraintViolationException c = (ConstraintViolationException) e;
            cover("invalid-" + expectedRule);
            assertEquals(expectedRule, c.rule(), at("rule of " + e));
            if (expectedConflict != null) {
                assertEquals(List.of(expectedConflict), c.conflictingIds(), at("conflicting ids of " + e));
            }
        }

        Runnable invalidOp(Transaction tx, Model working, Set<String> touched) {
            String type = randomType();
            Map<String, Object> bad = new HashMap<>();
            long existing = working.of(type).isEmpty() ? -1 : randomExisting(working, type);
            switch (nextInvalid) {
                case 0 -> {
                    // required field missing
                    Map<String, Object> values = insertValues(type, working);
                    values.remove(REQUIRED.get(type));
                    return () -> tx.insert(type, values);
                }
                case 1 -> {
                    Map<String, Object> values = insertValues(type, working);
                    values.put(NUMERIC.get(type), "not a number");
                    return () -> tx.insert(type, values);
                }
                case 2 -> {
                    Map<String, Object> values = insertValues(type, working);
                    values.put("bogus", 1L);
                    return () -> tx.insert(type, values);
                }
                case 3, 4, 5 -> {
                    if (existing < 0) {
                        Map<String, Object> values = insertValues(type, working);
                        values.put("bogus", 1L);
                        return () -> tx.insert(type, values);
                    }
                    if (nextInvalid == 3) {
                        bad.put(REQUIRED.get(type), null);
                    } else if (nextInvalid == 4) {
                        bad.put(type.equals("Account") ? "data" : type.equals("Note") ? "vec" : "weight", "not an array");
                    } else {
                        bad.put("bogus", 1L);
                    }
                    return () -> tx.update(type, existing, bad);
                }
                case 6 -> {
                    long missing = randomMissing(working, type);
                    Map<String, Object> changes = updateValues(type, working, missing);
                    return () -> tx.update(type, missing, changes);
                }
                case 7 -> {
                    return danglingReference(tx, working);
                }
                case 9, 10, 11 -> {
                    Runnable taken = takenEmail(tx, working, touched);
                    return taken != null ? taken : outOfRange(tx, working);
                }
                default -> {
                    return outOfRange(tx, working);
                }
            }
        }

        /** Writes a reference to an entity the working model lacks: rule {@code reference}. */
        Runnable danglingReference(Transaction tx, Model working) {
            expectedRule = "reference";
            Ref ref = REFS.get(rnd.nextInt(REFS.size()));
            long missing = randomMissing(working, ref.target());
            if (working.of(ref.type()).isEmpty() || rnd.nextBoolean()) {
                Map<String, Object> values = insertValues(ref.type(), working);
                values.put(ref.field(), missing);
                return () -> tx.insert(ref.type(), values);
            }
            long id = randomExisting(working, ref.type());
            Map<String, Object> changes = updateValues(ref.type(), working, id);
            changes.put(ref.field(), missing);
            return () -> tx.update(ref.type(), id, changes);
        }

        /** Writes an INT outside its field's min/max: rule {@code min} or {@code max}. */
        Runnable outOfRange(Transaction tx, Model working) {
            String type = rnd.nextBoolean() ? "Account" : "Tag";
            Field f = type(type).field(type.equals("Account") ? "level" : "weight").orElseThrow();
            boolean low = rnd.nextBoolean();
            int min = (Integer) f.min();
            int max = (Integer) f.max();
            int value = low ? (rnd.nextBoolean() ? min - 1 : Integer.MIN_VALUE) : (rnd.nextBoolean() ? max + 1 : Integer.MAX_VALUE);
            expectedRule = low ? "min" : "max";
            if (working.of(type).isEmpty() || rnd.nextBoolean()) {
                Map<String, Object> values = insertValues(type, working);
                values.put(f.name(), value);
                return () -> tx.insert(type, values);
            }
            long id = randomExisting(working, type);
            Map<String, Object> changes = updateValues(type, working, id);
            changes.put(f.name(), value);
            return () -> tx.update(type, id, changes);
        }

        /**
         * Writes the email of an Account of the transaction's snapshot that it has not written (the
         * write-time check sees those; see uniqueCollisionInTransaction for values the transaction
         * itself wrote): rule {@code unique}, naming that Account. Null when there is none.
         */
        Runnable takenEmail(Transaction tx, Model working, Set<String> touched) {
            List<Long> holders = working.of("Account").entrySet().stream()
                    .filter(e -> e.getValue().get("email") != null && !touched.contains("Account#" + e.getKey()))
                    .map(Map.Entry::getKey).toList();
            if (holders.isEmpty()) {
                return null;
            }
            long holder = holders.get(rnd.nextInt(holders.size()));
            Object email = working.of("Account").get(holder).get("email");
            expectedRule = "unique";
            expectedConflict = holder;
            List<Long> others = working.of("Account").keySet().stream().filter(id -> id != holder).toList();
            if (others.isEmpty() || rnd.nextBoolean()) {
                Map<String, Object> values = insertValues("Account", working);
                values.put("email", email);
                return () -> tx.insert("Account", values);
            }
            long id = others.get(rnd.nextInt(others.size()));
            Map<String, Object> changes = updateValues("Account", working, id);
            changes.put("email", email);
            return () -> tx.update("Account", id, changes);
        }

        /**
         * Two Accounts given one free email in one transaction: G3 says it never commits. Whether the
         * second write or the commit refuses it is left open (today the commit check does).
         */
        void uniqueCollisionInTransaction() {
            Model working = model.copy();
            String email = freeEmail(working, 0);
            if (email == null) {
                return;
            }
            Map<String, Object> first = insertValues("Account", working);
            first.put("email", email);
            Map<String, Object> second = insertValues("Account", working);
            second.put("email", email);
            boolean viaUpdate = !working.of("Account").isEmpty() && rnd.nextBoolean();
            long existing = viaUpdate ? randomExisting(working, "Account") : -1;
            ConstraintViolationException e;
            if (rnd.nextBoolean()) {
                e = assertThrows(ConstraintViolationException.class, () -> db.execute(tx -> {
                    tx.insert("Account", first);
                    if (viaUpdate) {
                        tx.update("Account", existing, Map.of("email", email));
                    } else {
                        tx.insert("Account", second);
                    }
                }), at("two Accounts with email " + email + " in db.write"));
            } else {
                e = assertThrows(ConstraintViolationException.class, () -> {
                    try (Transaction tx = db.begin()) {
                        tx.insert("Account", first);
                        if (viaUpdate) {
                            tx.update("Account", existing, Map.of("email", email));
                        } else {
                            tx.insert("Account", second);
                        }
                        tx.commit();
                    }
                }, at("two Accounts with email " + email + " in a transaction"));
            }
            assertEquals("unique", e.rule(), at("rule of " + e));
            cover("unique-in-one-transaction");
            unchanged();
        }

        void checkpoint() {
            long before = db.snapshot().lsn();
            long cp = db.checkpoint();
            assertTrue(cp >= before, at("checkpoint LSN " + cp + " < last commit " + before));
            unchanged();
        }

        void reopen(boolean declareTypes) {
            db.close();
            if (rnd.nextInt(10) < 3) {
                durability = MODES[rnd.nextInt(MODES.length)];
            }
            db = KeelDb.open(dir, options(declareTypes));
            RecoveryReport report = db.recoveryReport();
            assertTrue(report.clean(), at("clean close leaves nothing to repair: " + report));
            assertEquals(lastLsn, report.lastLsn(), at("recovered LSN " + report));
            assertEquals(TYPES, db.schema(), at("stored schema"));
            newSession();
        }

        void crashImage() {
            Path image = root.resolveSibling(root.getFileName() + "-crash" + (++generation));
            for (int attempt = 0; ; attempt++) {
                List<Path> before = DbFiles.list(dir);
                DbFiles.copy(dir, image);
                if (before.equals(DbFiles.list(dir)) && DbFiles.list(image).size() == before.size()) {
                    break;
                }
                if (attempt == 20) {
                    fail(where() + ": the directory kept changing while copying it");
                }
                DbFiles.list(image).forEach(p -> p.toFile().delete());
            }
            KeelDb old = db;
            db = null;
            old.close();
            dir = image;
            db = KeelDb.open(dir, options(rnd.nextBoolean()));
            RecoveryReport report = db.recoveryReport();
            for (RecoveryReport.Event e : report.events()) {
                if (e.kind().informational()) {
                    continue;
                }
                assertEquals(RecoveryReport.EventKind.TEMP_FILE_REMOVED, e.kind(),
                        at("a crash image of an idle database has nothing to repair but temp files: " + report));
            }
            assertEquals(lastLsn, report.lastLsn(), at("recovered LSN " + report));
            newSession();
        }

        void newSession() {
            sessionFloor.putAll(maxCommittedId);
            held = null;
            heldModel = null;
        }

        // ------------------------------------------------------------ transaction operations

        void randomTxOp(Transaction tx, Model working, Set<String> touched) {
            String type = randomType();
            int r = rnd.nextInt(100);
            if (r < 40 || working.of(type).isEmpty()) {
                Map<String, Object> values = insertValues(type, working);
                long id = tx.insert(type, values);
                checkNewId(type, id, working);
                working.of(type).put(id, canonicalInsert(type, values));
                touched.add(type + "#" + id);
            } else if (r < 75) {
                long id = randomExisting(working, type);
                Map<String, Object> changes = updateValues(type, working, id);
                tx.update(type, id, changes);
                applyUpdate(working.of(type).get(id), type, changes);
                touched.add(type + "#" + id);
            } else if (r < 92) {
                long id = randomExisting(working, type);
                DeleteEffect effect = planDelete(working, type, id);
                if (effect.blockers().isEmpty()) {
                    assertTrue(tx.delete(type, id), at("delete of existing " + type + "#" + id + " in a transaction"));
                    apply(working, effect, touched);
                } else {
                    ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                            () -> tx.delete(type, id), at("delete of " + type + "#" + id + " in a transaction, which "
                            + effect.blockers() + " refer to through a RESTRICT reference"));
                    checkRestrict(e, effect);
                }
            } else {
                long id = randomMissing(working, type);
                assertFalse(tx.delete(type, id), at("delete of missing " + type + "#" + id + " in a transaction"));
            }
            if (rnd.nextInt(4) == 0) {
                checkTransactionView(tx, working, "read-your-own-writes");
            }
        }

        void checkTransactionView(Transaction tx, Model working, String what) {
            for (EntityType t : TYPES) {
                TreeMap<Long, Map<String, Object>> expected = working.of(t.name());
                assertEquals(expected.size(), tx.count(t.name()), at(what + ": count of " + t.name()));
                List<Entity> scanned = tx.scan(t.name()).toList();
                assertEquals(List.copyOf(expected.keySet()), scanned.stream().map(Entity::id).toList(),
                        at(what + ": scan ids of " + t.name()));
                for (Entity e : scanned) {
                    assertValues(expected.get(e.id()), e, what + ": scan");
                }
                if (!expected.isEmpty()) {
                    long from = expected.firstKey() + rnd.nextLong(expected.lastKey() - expected.firstKey() + 2);
                    assertEquals(List.copyOf(expected.tailMap(from, true).keySet()),
                            tx.scan(t.name(), from).map(Entity::id).toList(), at(what + ": scan from " + from));
                    long id = randomExisting(working, t.name());
                    assertValues(expected.get(id), tx.get(t.name(), id).orElse(null), what + ": get");
                }
                long missing = randomMissing(working, t.name());
                assertEquals(Optional.empty(), tx.get(t.name(), missing), at(what + ": get of missing id " + missing));
            }
            checkReferences(tx, what);
            checkQueries(tx, working, what, 2);
        }

        // ------------------------------------------------------------ referential actions

        /** What deleting one entity does: entities deleted (it first), fields cleared, RESTRICT referrers left. */
        record DeleteEffect(Set<Key> deleted, List<Map.Entry<Key, String>> cleared, Set<Key> blockers) {
        }

        /** The model of Transaction.delete: CASCADE recursively (each entity once), SET_NULL, RESTRICT. */
        DeleteEffect planDelete(Model m, String type, long id) {
            Set<Key> deleted = new LinkedHashSet<>();
            List<Map.Entry<Key, String>> cleared = new ArrayList<>();
            Set<Key> blockers = new LinkedHashSet<>();
            ArrayDeque<Key> queue = new ArrayDeque<>();
            Key first = new Key(type, id);
            deleted.add(first);
            queue.add(first);
            while (!queue.isEmpty()) {
                Key victim = queue.poll();
                for (Ref r : REFS) {
                    if (!r.target().equals(victim.type())) {
                        continue;
                    }
                    for (Map.Entry<Long, Map<String, Object>> e : m.of(r.type()).entrySet()) {
                        if (!Long.valueOf(victim.id()).equals(e.getValue().get(r.field()))) {
                            continue;
                        }
                        Key referrer = new Key(r.type(), e.getKey());
                        switch (r.action()) {
                            case CASCADE -> {
                                if (deleted.add(referrer)) {
                                    queue.add(referrer);
                                }
                            }
                            case SET_NULL -> cleared.add(Map.entry(referrer, r.field()));
                            case RESTRICT -> blockers.add(referrer);
                        }
                    }
                }
            }
            blockers.removeAll(deleted);
            cleared.removeIf(c -> deleted.contains(c.getKey()));
            cover(!blockers.isEmpty() ? "restrict" : deleted.size() > 1 ? "cascade" : "plain-delete");
            if (!cleared.isEmpty()) {
                cover("set-null");
            }
            return new DeleteEffect(deleted, cleared, blockers);
        }

        void apply(Model m, DeleteEffect effect, Set<String> touched) {
            for (Map.Entry<Key, String> c : effect.cleared()) {
                m.of(c.getKey().type()).get(c.getKey().id()).remove(c.getValue());
                touched.add(c.getKey().toString());
            }
            for (Key d : effect.deleted()) {
                m.of(d.type()).remove(d.id());
                touched.add(d.toString());
            }
        }

        void checkRestrict(ConstraintViolationException e, DeleteEffect effect) {
            assertEquals("restrict", e.rule(), at("rule of " + e));
            assertEquals("Tag", e.type(), at("type of " + e));
            assertEquals("note", e.field(), at("field of " + e));
            assertFalse(e.conflictingIds().isEmpty(), at("referrers named by " + e));
            for (long id : e.conflictingIds()) {
                assertTrue(effect.blockers().contains(new Key("Tag", id)),
                        at(e + " names Tag#" + id + ", not among the model's " + effect.blockers()));
            }
        }

        // ------------------------------------------------------------ model bookkeeping

        void checkNewId(String type, long id, Model working) {
            assertFalse(working.of(type).containsKey(id), at("insert returned id " + id + " of an existing " + type));
            long floor = sessionFloor.get(type);
            assertTrue(id > floor, at("insert returned " + type + " id " + id + ", not above " + floor
                    + " (ids ascend; only ids of rolled-back transactions may be reused after a restart)"));
            sessionFloor.put(type, id);
        }

        /** A commit happened: {@code next} is the new state, {@code touched} the keys it wrote. */
        void committed(Model next, Set<String> touched) {
            long lsn = db.snapshot().lsn();
            boolean wrote = false;
            for (String key : touched) {
                String type = key.substring(0, key.indexOf('#'));
                long id = Long.parseLong(key.substring(key.indexOf('#') + 1));
                if (next.of(type).containsKey(id)) {
                    next.versions.get(type).put(id, lsn);
                    maxCommittedId.merge(type, id, Math::max);
                    wrote = true;
                } else {
                    next.versions.get(type).remove(id);
                    wrote |= model.of(type).containsKey(id);
                }
            }
            if (wrote) {
                assertTrue(lsn > lastLsn, at("a commit advances the LSN: " + lastLsn + " -> " + lsn));
            } else {
                assertEquals(lastLsn, lsn, at("nothing to write, nothing committed"));
            }
            lastLsn = lsn;
            model = next;
        }

        void unchanged() {
            assertEquals(lastLsn, db.snapshot().lsn(), at("nothing committed"));
        }

        /** An existing id, biased to the newest and oldest (id reuse and tree edges hide there). */
        long randomExisting(Model m, String type) {
            TreeMap<Long, Map<String, Object>> present = m.of(type);
            int r = rnd.nextInt(10);
            if (r < 3) {
                return present.lastKey();
            }
            if (r < 4) {
                return present.firstKey();
            }
            List<Long> ids = List.copyOf(present.keySet());
            return ids.get(rnd.nextInt(ids.size()));
        }

        long randomMissing(Model m, String type) {
            TreeMap<Long, Map<String, Object>> present = m.of(type);
            long max = Math.max(present.isEmpty() ? 0 : present.lastKey(), maxCommittedId.get(type));
            for (int i = 0; i < 20; i++) {
                long id = rnd.nextInt(4) == 0 ? -rnd.nextLong(3) : 1 + rnd.nextLong(max + 3);
                if (!present.containsKey(id)) {
                    return id;
                }
            }
            return max + 1_000_000;
        }

        // ------------------------------------------------------------ values

        Map<String, Object> insertValues(String type, Model m) {
            Map<String, Object> values = new HashMap<>();
            for (Field f : type(type).fields()) {
                int r = rnd.nextInt(10);
                if (f.isRequired() || r < 6) {
                    values.put(f.name(), randomValue(type, f, m, 0));
                } else if (r < 7) {
                    values.put(f.name(), null);
                }
            }
            return values;
        }

        /** Valid changes of entity {@code id} (which need not exist) in model {@code m}. */
        Map<String, Object> updateValues(String type, Model m, long id) {
            Map<String, Object> values = new HashMap<>();
            for (Field f : type(type).fields()) {
                int r = rnd.nextInt(10);
                if (r < 3) {
                    values.put(f.name(), randomValue(type, f, m, id));
                } else if (r < 4 && !f.isRequired()) {
                    values.put(f.name(), null);
                }
            }
            return values;
        }

        Map<String, Object> canonicalInsert(String type, Map<String, Object> values) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Field f : type(type).fields()) {
                Object v = values.get(f.name());
                if (v == null) {
                    v = f.defaultValue();
                }
                if (v != null) {
                    out.put(f.name(), canonical(f, v));
                }
            }
            return out;
        }

        void applyUpdate(Map<String, Object> current, String type, Map<String, Object> changes) {
            Map<String, Object> merged = new HashMap<>(current);
            for (Map.Entry<String, Object> c : changes.entrySet()) {
                if (c.getValue() == null) {
                    merged.remove(c.getKey());
                } else {
                    merged.put(c.getKey(), canonical(type(type).field(c.getKey()).orElseThrow(), c.getValue()));
                }
            }
            current.clear();
            for (Field f : type(type).fields()) {
                if (merged.containsKey(f.name())) {
                    current.put(f.name(), merged.get(f.name()));
                }
            }
        }

        Object canonical(Field f, Object v) {
            if (v instanceof Number n && f.type() == FieldType.INT) {
                return n.intValue();
            }
            if (v instanceof Integer i) {
                return i.longValue();
            }
            if (v instanceof Float x) {
                return x.doubleValue();
            }
            if (v instanceof byte[] b) {
                return b.clone();
            }
            if (v instanceof float[] x) {
                return x.clone();
            }
            return v;
        }

        /** A pool email no entity of {@code m} but {@code self} has, or null when all are taken. */
        String freeEmail(Model m, long self) {
            Set<Object> taken = new HashSet<>();
            m.of("Account").forEach((id, values) -> {
                if (id != self) {
                    taken.add(values.get("email"));
                }
            });
            List<String> free = EMAILS.stream().filter(e -> !taken.contains(e)).toList();
            return free.isEmpty() ? null : free.get(rnd.nextInt(free.size()));
        }

        /** A valid value of field {@code f} of entity {@code self} (0 for a new one) of {@code type} in model {@code m}. */
        Object randomValue(String type, Field f, Model m, long self) {
            switch (type + "." + f.name()) {
                case "Account.name" -> {
                    return rnd.nextInt(4) == 0 ? randomText() : NAMES.get(rnd.nextInt(NAMES.size()));
                }
                case "Account.email" -> {
                    return freeEmail(m, self);
                }
                case "Tag.label" -> {
                    return LABELS.get(rnd.nextInt(LABELS.size()));
                }
                case "Note.text" -> {
                    return rnd.nextBoolean() ? randomText() : NAMES.get(rnd.nextInt(NAMES.size())) + randomText();
                }
                default -> {
                }
            }
            return switch (f.type()) {
                case TEXT -> randomText();
                case LONG -> switch (rnd.nextInt(6)) {
                    case 0 -> rnd.nextInt(-1000, 1000);
                    case 1 -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L}[rnd.nextInt(4)];
                    case 2 -> (long) rnd.nextInt(-5, 5);
                    default -> rnd.nextLong();
                };
                case DOUBLE -> switch (rnd.nextInt(8)) {
                    case 0 -> new double[] {Double.NaN, -0.0d, Double.POSITIVE_INFINITY, Double.MIN_VALUE}[rnd.nextInt(4)];
                    case 1 -> (float) rnd.nextDouble();
                    default -> rnd.nextDouble(-1e9, 1e9);
                };
                case INT -> f.min() != null ? rnd.nextInt((Integer) f.min(), (Integer) f.max() + 1)
                        : rnd.nextBoolean() ? rnd.nextInt() : new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0}[rnd.nextInt(3)];
                case BOOLEAN -> rnd.nextBoolean();
                case TIMESTAMP -> Instant.ofEpochSecond(rnd.nextLong(-100_000_000_000L, 100_000_000_000L),
                        rnd.nextInt(1_000_000_000));
                case BYTES -> {
                    byte[] b = new byte[rnd.nextInt(10) == 0 ? 0 : rnd.nextInt(3000)];
                    rnd.nextBytes(b);
                    yield b;
                }
                case REFERENCE -> m.of(f.target()).isEmpty() ? null : (Object) randomExisting(m, f.target());
                case VECTOR -> {
                    float[] v = new float[rnd.nextInt(33)];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) rnd.nextDouble(-10, 10);
                    }
                    yield v;
                }
            };
        }

        String randomText() {
            int n = rnd.nextInt(40);
            StringBuilder sb = new StringBuilder(n);
            for (int i = 0; i < n; i++) {
                int r = rnd.nextInt(20);
                if (r == 0) {
                    sb.append("\u00e9\u2713\ud83d\ude00".charAt(rnd.nextInt(2)));
                } else if (r == 1) {
                    sb.appendCodePoint(0x1F600 + rnd.nextInt(40));
                } else {
                    sb.append((char) ('a' + rnd.nextInt(26)));
                }
            }
            return sb.toString();
        }

        // ------------------------------------------------------------ checks

        void assertValues(Map<String, Object> expected, Entity actual, String what) {
            if (actual == null) {
                fail(where() + ": " + what + ": entity missing, expected " + expected);
            }
            if (!valuesEqual(expected, actual.values())) {
                fail(where() + ": " + what + ": " + actual + " differs from the model " + describe(expected));
            }
        }

        void verify() {
            Snapshot s = db.snapshot();
            assertEquals(lastLsn, s.lsn(), at("snapshot LSN"));
            for (EntityType t : TYPES) {
                String type = t.name();
                TreeMap<Long, Map<String, Object>> expected = model.of(type);
                List<Entity> scanned = s.scan(type).toList();
                assertEquals(List.copyOf(expected.keySet()), scanned.stream().map(Entity::id).toList(),
                        at("scan ids of " + type));
                for (Entity e : scanned) {
                    assertValues(expected.get(e.id()), e, "scan of " + type);
                    assertEquals(model.versions.get(type).get(e.id()), e.version(), at("version of " + e));
                }
                assertEquals(expected.size(), s.count(type), at("count of " + type));
                for (Map.Entry<Long, Map<String, Object>> e : expected.entrySet()) {
                    assertValues(e.getValue(), s.get(type, e.getKey()).orElse(null), "get " + type + "#" + e.getKey());
                }
                for (int i = 0; i < 3; i++) {
                    long missing = randomMissing(model, type);
                    assertEquals(Optional.empty(), s.get(type, missing), at("get of missing " + type + "#" + missing));
                }
                if (!expected.isEmpty()) {
                    long from = expected.firstKey() - 1 + rnd.nextLong(expected.lastKey() - expected.firstKey() + 3);
                    assertEquals(List.copyOf(expected.tailMap(from, true).keySet()),
                            s.scan(type, from).map(Entity::id).toList(), at("scan of " + type + " from " + from));
                }
                if (held != null) {
                    TreeMap<Long, Map<String, Object>> then = heldModel.of(type);
                    List<Entity> old = held.scan(type).toList();
                    assertEquals(List.copyOf(then.keySet()), old.stream().map(Entity::id).toList(),
                            at("held snapshot (LSN " + heldLsn + ") scan ids of " + type));
                    for (Entity e : old) {
                        assertValues(then.get(e.id()), e, "held snapshot (LSN " + heldLsn + ") of " + type);
                    }
                    assertEquals(then.size(), held.count(type), at("held snapshot count of " + type));
                    assertEquals(heldLsn, held.lsn(), at("held snapshot LSN"));
                }
            }
            checkReferences(s, "snapshot");
            List<String> problems = db.engine().indexProblems();
            assertEquals(List.of(), problems, at("index entries differ from a rebuild from the entities"));
            checkQueries(s, model, "snapshot", 4);
            if (held != null) {
                checkReferences(held, "held snapshot (LSN " + heldLsn + ")");
                checkQueries(held, heldModel, "held snapshot (LSN " + heldLsn + ")", 1);
            }
            int segments = DbFiles.names(dir, "wal-", ".log").size();
            assertTrue(segments <= 16, at(segments + " log segments: checkpoints do not retire them"));
        }

        /** No entity of {@code s} refers to an entity that {@code s} lacks. */
        void checkReferences(Snapshot s, String what) {
            for (Ref r : REFS) {
                s.scan(r.type()).forEach(e -> {
                    Object target = e.values().get(r.field());
                    if (target != null && s.get(r.target(), (Long) target).isEmpty()) {
                        fail(where() + ": " + what + ": dangling reference: " + r.type() + "#" + e.id() + "." + r.field()
                                + " = " + target + ", but there is no " + r.target() + "#" + target);
                    }
                });
            }
        }

        // ------------------------------------------------------------ queries

        void checkQueries(Snapshot s, Model m, String what, int n) {
            for (int i = 0; i < n; i++) {
                Query q = randomQuery(m);
                QueryPlan plan = s.explain(q);
                List<Long> expected = expectedResults(m, q, plan);
                List<Entity> actual = s.query(q).toList();
                cover(plan.usesIndex() ? "query-index" : "query-scan");
                if (!actual.isEmpty()) {
                    cover("query-nonempty");
                }
                assertEquals(expected, actual.stream().map(Entity::id).toList(),
                        at(what + ": " + q + " (plan " + plan + ")"));
                for (Entity e : actual) {
                    assertValues(m.of(q.type()).get(e.id()), e, what + ": result of " + q);
                }
            }
        }

        /** The query's filter, order and limit applied to the model; without an order, the plan's natural one. */
        List<Long> expectedResults(Model m, Query q, QueryPlan plan) {
            EntityType t = type(q.type());
            Comparator<Map.Entry<Long, Map<String, Object>>> order;
            if (q.orderField() != null) {
                Field f = t.field(q.orderField()).orElseThrow();
                order = Comparator.comparing((Map.Entry<Long, Map<String, Object>> e) -> e.getValue().get(f.name()),
                        (a, b) -> compareValues(f.type(), a, b));
                order = order.thenComparingLong(Map.Entry::getKey);
                if (q.descending()) {
                    order = order.reversed();
                }
            } else {
                order = (a, b) -> 0;
                if (plan.usesIndex()) {
                    Index ix = t.indexes().stream().filter(x -> x.name().equals(plan.index())).findFirst().orElseThrow();
                    for (String field : ix.fields()) {
                        FieldType ft = t.field(field).orElseThrow().type();
                        order = order.thenComparing(e -> e.getValue().get(field), (a, b) -> compareValues(ft, a, b));
                    }
                }
                order = order.thenComparingLong(Map.Entry::getKey);
            }
            return m.of(q.type()).entrySet().stream()
                    .filter(e -> q.conditions().stream().allMatch(c -> matches(t, e.getValue(), c)))
                    .sorted(order).limit(q.limit()).map(Map.Entry::getKey).toList();
        }

        boolean matches(EntityType t, Map<String, Object> values, Query.Condition c) {
            Object v = values.get(c.field());
            if (v == null) {
                return false;
            }
            FieldType ft = t.field(c.field()).orElseThrow().type();
            int cmp = c.op() == Query.Op.STARTS_WITH ? 0 : compareValues(ft, v, c.value());
            return switch (c.op()) {
                case EQ -> cmp == 0;
                case GT -> cmp > 0;
                case GTE -> cmp >= 0;
                case LT -> cmp < 0;
                case LTE -> cmp <= 0;
                case STARTS_WITH -> ((String) v).startsWith((String) c.value());
            };
        }

        /** The documented order: missing first; text by code point; numbers, booleans, timestamps, bytes by value. */
        int compareValues(FieldType type, Object a, Object b) {
            if (a == null || b == null) {
                return a == null ? (b == null ? 0 : -1) : 1;
            }
            return switch (type) {
                case TEXT -> compareCodePoints((String) a, (String) b);
                case INT -> Integer.compare((Integer) a, (Integer) b);
                case LONG, REFERENCE -> Long.compare((Long) a, (Long) b);
                case DOUBLE -> Double.compare((Double) a, (Double) b);
                case BOOLEAN -> Boolean.compare((Boolean) a, (Boolean) b);
                case TIMESTAMP -> ((Instant) a).compareTo((Instant) b);
                case BYTES -> Arrays.compareUnsigned((byte[]) a, (byte[]) b);
                case VECTOR -> throw new AssertionError("no order of vectors");
            };
        }

        int compareCodePoints(String a, String b) {
            int i = 0;
            int j = 0;
            while (i < a.length() && j < b.length()) {
                int x = a.codePointAt(i);
                int y = b.codePointAt(j);
                if (x != y) {
                    return Integer.compare(x, y);
                }
                i += Character.charCount(x);
                j += Character.charCount(y);
            }
            return Boolean.compare(i < a.length(), j < b.length());
        }

        /** A value of {@code field} of a random entity of {@code m}, or {@code fallback} when none has one. */
        Object someValue(Model m, String type, String field, Object fallback) {
            if (m.of(type).isEmpty() || rnd.nextInt(5) == 0) {
                return fallback;
            }
            Object v = m.of(type).get(randomExisting(m, type)).get(field);
            return v != null ? v : fallback;
        }

        /** A prefix (whole code points) of a value of a TEXT field in {@code m}. */
        String somePrefix(Model m, String type, String field) {
            String v = (String) someValue(m, type, field, NAMES.get(rnd.nextInt(NAMES.size())));
            int points = v.codePointCount(0, v.length());
            return v.substring(0, v.offsetByCodePoints(0, rnd.nextInt(points + 1)));
        }

        Query range(Query q, String field, Object lo, Object hi) {
            return switch (rnd.nextInt(6)) {
                case 0 -> q.gt(field, lo);
                case 1 -> q.gte(field, lo);
                case 2 -> q.lt(field, hi);
                case 3 -> q.lte(field, hi);
                case 4 -> q.between(field, lo, hi);
                default -> q.gt(field, lo).lt(field, hi);
            };
        }

        Query randomQuery(Model m) {
            String type = randomType();
            Query q = Query.on(type);
            int r = rnd.nextInt(6);
            switch (type) {
                case "Account" -> {
                    switch (r) {
                        case 0 -> q = q.eq("name", someValue(m, type, "name", NAMES.get(rnd.nextInt(NAMES.size()))));
                        case 1 -> q = q.startsWith("name", somePrefix(m, type, "name"));
                        case 2 -> q = q.eq("email", EMAILS.get(rnd.nextInt(EMAILS.size())));
                        case 3 -> {
                            q = q.eq("level", someValue(m, type, "level", rnd.nextInt(100)));
                            if (rnd.nextBoolean()) {
                                q = q.startsWith("name", somePrefix(m, type, "name"));
                            }
                        }
                        case 4 -> {
                            int a = (Integer) someValue(m, type, "level", rnd.nextInt(-2, 102));
                            int b = (Integer) someValue(m, type, "level", rnd.nextInt(-2, 102));
                            q = range(q, "level", Math.min(a, b), Math.max(a, b));
                        }
                        default -> {
                        }
                    }
                    if (rnd.nextInt(4) == 0) {
                        q = q.eq("active", rnd.nextBoolean());
                    }
                }
                case "Note" -> {
                    switch (r) {
                        case 0, 1 -> {
                            q = q.eq("account", !m.of("Account").isEmpty() && rnd.nextInt(5) > 0
                                    ? randomExisting(m, "Account") : randomMissing(m, "Account"));
                            if (r == 1) {
                                long a = (Long) someValue(m, type, "rank", rnd.nextLong(-10, 10));
                                long b = (Long) someValue(m, type, "rank", rnd.nextLong(-10, 10));
                                q = range(q, "rank", Math.min(a, b), Math.max(a, b));
                            }
                        }
                        case 2 -> q = q.eq("parent", someValue(m, type, "parent", 1L + rnd.nextInt(5)));
                        case 3 -> q = q.startsWith("text", somePrefix(m, type, "text"));
                        case 4 -> {
                            long a = (Long) someValue(m, type, "rank", rnd.nextLong());
                            long b = (Long) someValue(m, type, "rank", rnd.nextLong());
                            q = range(q, "rank", Math.min(a, b), Math.max(a, b));
                        }
                        default -> {
                        }
                    }
                }
                default -> {
                    switch (r) {
                        case 0 -> q = q.eq("note", someValue(m, type, "note", 1L + rnd.nextInt(5)));
                        case 1 -> q = q.eq("owner", someValue(m, type, "owner", 1L + rnd.nextInt(5)));
                        case 2 -> q = q.eq("label", LABELS.get(rnd.nextInt(LABELS.size())));
                        case 3 -> q = range(q, "weight", rnd.nextInt(-6, 1), rnd.nextInt(0, 7));
                        default -> {
                        }
                    }
                }
            }
            if (rnd.nextBoolean()) {
                List<Field> orderable = type(type).fields().stream().filter(f -> f.type() != FieldType.VECTOR).toList();
                String field = orderable.get(rnd.nextInt(orderable.size())).name();
                q = rnd.nextBoolean() ? q.orderBy(field) : q.orderByDescending(field);
            }
            if (rnd.nextInt(3) == 0) {
                q = q.limit(rnd.nextInt(6));
            }
            return q;
        }

        boolean valuesEqual(Map<String, Object> expected, Map<String, Object> actual) {
            if (expected == null || !expected.keySet().equals(actual.keySet())) {
                return false;
            }
            for (Map.Entry<String, Object> e : expected.entrySet()) {
                Object a = actual.get(e.getKey());
                Object x = e.getValue();
                boolean same = x instanceof byte[] xb ? a instanceof byte[] ab && Arrays.equals(xb, ab)
                        : x instanceof float[] xf ? a instanceof float[] af && Arrays.equals(xf, af)
                        : x.equals(a);
                if (!same) {
                    return false;
                }
            }
            return true;
        }

        String describe(Map<String, Object> values) {
            if (values == null) {
                return "(absent)";
            }
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<String, Object> e : values.entrySet()) {
                Object v = e.getValue();
                String s = v instanceof byte[] b ? "bytes[" + b.length + "]"
                        : v instanceof float[] f ? "vector" + Arrays.toString(f) : String.valueOf(v);
                sb.append(sb.length() > 1 ? ", " : "").append(e.getKey()).append('=').append(s);
            }
            return sb.append('}').toString();
        }
    }
}
