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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
            .build();

    static final EntityType NOTE = EntityType.builder("Note")
            .requiredField("rank", FieldType.LONG)
            .field(Field.text("text").defaultValue("-"))
            .field(Field.reference("account", "Account"))
            .field(Field.vector("vec"))
            .build();

    static final List<EntityType> TYPES = List.of(ACCOUNT, NOTE);

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
                    new Run(seed, tmp.resolve("seed" + seed), steps).execute();
                    System.out.println("KeelDbProperties: seed=" + seed + " passed in "
                            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
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
                b.entityTypes(ACCOUNT, NOTE);
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
            } else {
                op = "hold-snapshot";
                held = db.snapshot();
                heldModel = model.copy();
                heldLsn = held.lsn();
            }
        }

        String randomType() {
            return TYPES.get(rnd.nextInt(TYPES.size())).name();
        }

        EntityType type(String name) {
            return name.equals(ACCOUNT.name()) ? ACCOUNT : NOTE;
        }

        void insertOne() {
            String type = randomType();
            Map<String, Object> values = insertValues(type);
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
            Map<String, Object> changes = updateValues(type);
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
            boolean deleted = db.<Boolean>write(tx -> tx.delete(type, id));
            assertEquals(existing, deleted, at("delete " + type + "#" + id + " result"));
            Model next = model.copy();
            next.of(type).remove(id);
            committed(next, existing ? Set.of(type + "#" + id) : Set.of());
        }

        void updateMissing() {
            String type = randomType();
            long id = randomMissing(model, type);
            Map<String, Object> changes = updateValues(type);
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
                assertThrows(expected, () -> db.execute(tx -> {
                    Model working = model.copy();
                    Set<String> touched = new HashSet<>();
                    for (int i = 0; i < before; i++) {
                        randomTxOp(tx, working, touched);
                    }
                    invalidOp(tx, working).run();
                }), at("invalid operation in db.write"));
                unchanged();
            } else {
                Model working = model.copy();
                Set<String> touched = new HashSet<>();
                try (Transaction tx = db.begin()) {
                    for (int i = 0; i < before; i++) {
                        randomTxOp(tx, working, touched);
                    }
                    Class<? extends KeelException> expected = expectedForNextInvalid();
                    assertThrows(expected, invalidOp(tx, working)::run, at("invalid operation in a transaction"));
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

        Class<? extends KeelException> expectedForNextInvalid() {
            nextInvalid = rnd.nextInt(7);
            return nextInvalid == 6 ? EntityNotFoundException.class : ConstraintViolationException.class;
        }

        Runnable invalidOp(Transaction tx, Model working) {
            String type = randomType();
            Map<String, Object> bad = new HashMap<>();
            long existing = working.of(type).isEmpty() ? -1 : randomExisting(working, type);
            switch (nextInvalid) {
                case 0 -> {
                    // required field missing
                    Map<String, Object> values = insertValues(type);
                    values.remove(type.equals("Account") ? "name" : "rank");
                    return () -> tx.insert(type, values);
                }
                case 1 -> {
                    Map<String, Object> values = insertValues(type);
                    values.put(type.equals("Account") ? "balance" : "rank", "not a number");
                    return () -> tx.insert(type, values);
                }
                case 2 -> {
                    Map<String, Object> values = insertValues(type);
                    values.put("bogus", 1L);
                    return () -> tx.insert(type, values);
                }
                case 3, 4, 5 -> {
                    if (existing < 0) {
                        Map<String, Object> values = insertValues(type);
                        values.put("bogus", 1L);
                        return () -> tx.insert(type, values);
                    }
                    if (nextInvalid == 3) {
                        bad.put(type.equals("Account") ? "name" : "rank", null);
                    } else if (nextInvalid == 4) {
                        bad.put(type.equals("Account") ? "data" : "vec", "not an array");
                    } else {
                        bad.put("bogus", 1L);
                    }
                    return () -> tx.update(type, existing, bad);
                }
                default -> {
                    long missing = randomMissing(working, type);
                    Map<String, Object> changes = updateValues(type);
                    return () -> tx.update(type, missing, changes);
                }
            }
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
                Map<String, Object> values = insertValues(type);
                long id = tx.insert(type, values);
                checkNewId(type, id, working);
                working.of(type).put(id, canonicalInsert(type, values));
                touched.add(type + "#" + id);
            } else if (r < 75) {
                long id = randomExisting(working, type);
                Map<String, Object> changes = updateValues(type);
                tx.update(type, id, changes);
                applyUpdate(working.of(type).get(id), type, changes);
                touched.add(type + "#" + id);
            } else if (r < 92) {
                long id = randomExisting(working, type);
                assertTrue(tx.delete(type, id), at("delete of existing " + type + "#" + id + " in a transaction"));
                working.of(type).remove(id);
                touched.add(type + "#" + id);
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

        Map<String, Object> insertValues(String type) {
            Map<String, Object> values = new HashMap<>();
            for (Field f : type(type).fields()) {
                int r = rnd.nextInt(10);
                if (f.isRequired() || r < 6) {
                    values.put(f.name(), randomValue(f));
                } else if (r < 7) {
                    values.put(f.name(), null);
                }
            }
            return values;
        }

        Map<String, Object> updateValues(String type) {
            Map<String, Object> values = new HashMap<>();
            for (Field f : type(type).fields()) {
                int r = rnd.nextInt(10);
                if (r < 3) {
                    values.put(f.name(), randomValue(f));
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
                    out.put(f.name(), canonical(v));
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
                    merged.put(c.getKey(), canonical(c.getValue()));
                }
            }
            current.clear();
            for (Field f : type(type).fields()) {
                if (merged.containsKey(f.name())) {
                    current.put(f.name(), merged.get(f.name()));
                }
            }
        }

        Object canonical(Object v) {
            if (v instanceof Integer i) {
                return i.longValue();
            }
            if (v instanceof Float f) {
                return f.doubleValue();
            }
            if (v instanceof byte[] b) {
                return b.clone();
            }
            if (v instanceof float[] f) {
                return f.clone();
            }
            return v;
        }

        Object randomValue(Field f) {
            return switch (f.type()) {
                case TEXT -> randomText();
                case LONG -> switch (rnd.nextInt(6)) {
                    case 0 -> rnd.nextInt(-1000, 1000);
                    case 1 -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L}[rnd.nextInt(4)];
                    default -> rnd.nextLong();
                };
                case DOUBLE -> switch (rnd.nextInt(8)) {
                    case 0 -> new double[] {Double.NaN, -0.0d, Double.POSITIVE_INFINITY, Double.MIN_VALUE}[rnd.nextInt(4)];
                    case 1 -> (float) rnd.nextDouble();
                    default -> rnd.nextDouble(-1e9, 1e9);
                };
                case INT -> rnd.nextBoolean() ? rnd.nextInt() : new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0}[rnd.nextInt(3)];
                case BOOLEAN -> rnd.nextBoolean();
                case TIMESTAMP -> Instant.ofEpochSecond(rnd.nextLong(-100_000_000_000L, 100_000_000_000L),
                        rnd.nextInt(1_000_000_000));
                case BYTES -> {
                    byte[] b = new byte[rnd.nextInt(10) == 0 ? 0 : rnd.nextInt(3000)];
                    rnd.nextBytes(b);
                    yield b;
                }
                case REFERENCE -> model.of("Account").isEmpty() || rnd.nextInt(5) == 0
                        ? (Object) (1 + rnd.nextLong(1000)) : (Object) randomExisting(model, "Account");
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
            int segments = DbFiles.names(dir, "wal-", ".log").size();
            assertTrue(segments <= 16, at(segments + " log segments: checkpoints do not retire them"));
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
