package dev.keel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.testutil.DbFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Behaviour of the public API of {@link KeelDb}: entity CRUD, field types, constraints, records,
 * transactions and isolation, schema storage, the process lock, READ_ONLY mode, checkpoints,
 * durability modes and the closed state. Every test opens real databases in a temporary
 * directory; "crash image" means a copy of the directory of a database that is still open, which
 * is what a killed process leaves behind.
 */
class KeelDbTest {
    static final EntityType PERSON = EntityType.builder("Person")
            .requiredField("name", FieldType.TEXT)
            .field("age", FieldType.LONG)
            .field(Field.text("city").defaultValue("Oslo"))
            .field(Field.bool("active"))
            .build();

    static final EntityType ALL = EntityType.builder("AllTypes")
            .field(Field.text("t"))
            .field(Field.longField("l"))
            .field(Field.doubleField("d"))
            .field(Field.bool("b"))
            .field(Field.timestamp("ts"))
            .field(Field.bytes("bytes"))
            .field(Field.reference("ref", "Person"))
            .field(Field.vector("vec"))
            .build();

    static final EntityType COUNTER = EntityType.builder("Counter")
            .requiredField("value", FieldType.LONG)
            .build();

    @TempDir
    Path tmp;

    private final List<KeelDb> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (KeelDb db : opened) {
            try {
                db.close();
            } catch (RuntimeException ignored) {
                // The test's own assertions matter more than a failing close here.
            }
        }
    }

    Path dir() {
        return tmp.resolve("db");
    }

    static KeelOptions.Builder options() {
        return KeelOptions.builder().segmentSizeInBytes(64 * 1024).entityTypes(PERSON, ALL, COUNTER);
    }

    KeelDb open(KeelOptions options) {
        return open(dir(), options);
    }

    KeelDb open(Path dir, KeelOptions options) {
        KeelDb db = KeelDb.open(dir, options);
        opened.add(db);
        return db;
    }

    KeelDb open() {
        return open(options().build());
    }

    static Map<String, Object> person(String name, long age) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("age", age);
        return m;
    }

    static long insert(KeelDb db, String type, Map<String, ?> values) {
        return db.write(tx -> tx.insert(type, values));
    }

    static Entity get(KeelDb db, String type, long id) {
        return db.snapshot().get(type, id).orElseThrow(() -> new AssertionError(type + "#" + id + " is missing"));
    }

    static List<Long> ids(java.util.stream.Stream<Entity> entities) {
        return entities.map(Entity::id).toList();
    }

    /** A copy of the directory of a still-open database: what a process kill leaves. */
    Path crashImage(KeelDb db, String name) {
        Path copy = tmp.resolve(name);
        DbFiles.copy(db.directory(), copy);
        return copy;
    }

    // ---------------------------------------------------------------- CRUD

    @Test
    void insertReturnsAscendingIdsStartingAtOnePerType() {
        KeelDb db = open();
        assertEquals(1, insert(db, "Person", person("a", 1)));
        assertEquals(2, insert(db, "Person", person("b", 2)));
        assertEquals(1, insert(db, "Counter", Map.of("value", 0L)), "ids are per type");
        List<Long> inOneTx = db.write(tx -> List.of(tx.insert("Person", person("c", 3)),
                tx.insert("Person", person("d", 4)), tx.insert("Counter", Map.of("value", 1L))));
        assertEquals(List.of(3L, 4L, 2L), inOneTx);
        assertEquals(3, insert(db, "Counter", Map.of("value", 2L)));
    }

    @Test
    void getReturnsStoredValuesAndEmptyForMissingIds() {
        KeelDb db = open();
        long id = insert(db, "Person", Map.of("name", "Ada", "age", 36L, "active", true));
        Entity e = get(db, "Person", id);
        assertEquals("Person", e.type());
        assertEquals(id, e.id());
        assertEquals("Ada", e.getText("name"));
        assertEquals(36L, e.getLong("age"));
        assertEquals(Boolean.TRUE, e.getBoolean("active"));
        assertEquals("Oslo", e.getText("city"), "default applied");
        assertEquals(List.of("name", "age", "city", "active"), List.copyOf(e.values().keySet()),
                "values in declaration order");
        assertEquals(Optional.empty(), db.snapshot().get("Person", id + 1));
        assertEquals(Optional.empty(), db.snapshot().get("Person", 0));
        assertEquals(Optional.empty(), db.snapshot().get("Person", -5));
        assertEquals(Optional.empty(), db.snapshot().get("Counter", id), "ids of another type do not leak");
    }

    @Test
    void entityVersionIsTheCommitLsnAndGrowsWithEveryChange() {
        KeelDb db = open();
        long id = insert(db, "Person", person("a", 1));
        Entity first = get(db, "Person", id);
        assertEquals(db.snapshot().lsn(), first.version());
        db.execute(tx -> tx.update("Person", id, Map.of("age", 2L)));
        Entity second = get(db, "Person", id);
        assertTrue(second.version() > first.version(), first + " then " + second);
        assertEquals(db.snapshot().lsn(), second.version());
        insert(db, "Person", person("b", 1));
        assertEquals(second.version(), get(db, "Person", id).version(), "untouched entity keeps its version");
    }

    @Test
    void updateMergesChangedFieldsAndKeepsTheOthers() {
        KeelDb db = open();
        long id = insert(db, "Person", Map.of("name", "Ada", "age", 36L, "city", "London", "active", true));
        db.execute(tx -> tx.update("Person", id, Map.of("age", 37L)));
        Entity e = get(db, "Person", id);
        assertEquals("Ada", e.getText("name"));
        assertEquals(37L, e.getLong("age"));
        assertEquals("London", e.getText("city"));
        assertEquals(Boolean.TRUE, e.getBoolean("active"));
        db.execute(tx -> tx.update("Person", id, Map.of("name", "Ada L.", "active", false)));
        e = get(db, "Person", id);
        assertEquals(Map.of("name", "Ada L.", "age", 37L, "city", "London", "active", false), e.values());
    }

    @Test
    void updateWithNullClearsAnOptionalField() {
        KeelDb db = open();
        long id = insert(db, "Person", Map.of("name", "Ada", "age", 36L, "city", "London"));
        Map<String, Object> clear = new HashMap<>();
        clear.put("age", null);
        clear.put("city", null);
        db.execute(tx -> tx.update("Person", id, clear));
        Entity e = get(db, "Person", id);
        assertNull(e.getLong("age"));
        assertNull(e.get("city"), "null clears, defaults apply only on insert");
        assertEquals(Map.of("name", "Ada"), e.values());
    }

    @Test
    void updateOfMissingIdThrowsEntityNotFoundAndWritesNothing() {
        KeelDb db = open();
        long id = insert(db, "Person", person("a", 1));
        long lsn = db.snapshot().lsn();
        EntityNotFoundException e = assertThrows(EntityNotFoundException.class,
                () -> db.execute(tx -> tx.update("Person", id + 10, Map.of("age", 5L))));
        assertEquals(ErrorCode.NOT_FOUND, e.code());
        assertTrue(e.getMessage().contains("Person") && e.getMessage().contains(String.valueOf(id + 10)), e.getMessage());
        assertEquals(lsn, db.snapshot().lsn(), "nothing committed");
        db.execute(tx -> tx.delete("Person", id));
        long afterDelete = db.snapshot().lsn();
        assertThrows(EntityNotFoundException.class, () -> db.execute(tx -> tx.update("Person", id, Map.of("age", 5L))),
                "a deleted entity cannot be updated");
        assertEquals(afterDelete, db.snapshot().lsn(), "nothing committed");
        assertEquals(Optional.empty(), db.snapshot().get("Person", id));
    }

    @Test
    void deleteRemovesTheEntityAndReturnsFalseForMissingIds() {
        KeelDb db = open();
        long a = insert(db, "Person", person("a", 1));
        long b = insert(db, "Person", person("b", 2));
        assertTrue(db.<Boolean>write(tx -> tx.delete("Person", a)));
        assertEquals(Optional.empty(), db.snapshot().get("Person", a));
        assertEquals(1, db.snapshot().count("Person"));
        assertFalse(db.<Boolean>write(tx -> tx.delete("Person", a)), "second delete");
        assertFalse(db.<Boolean>write(tx -> tx.delete("Person", 999)), "never inserted");
        assertEquals("b", get(db, "Person", b).getText("name"));
    }

    @Test
    void scanReturnsEntitiesInIdOrderAndFromAnId() {
        KeelDb db = open();
        for (int i = 0; i < 40; i++) {
            insert(db, "Person", person("p" + i, i));
        }
        insert(db, "Counter", Map.of("value", 1L));
        db.execute(tx -> {
            for (long id = 3; id <= 40; id += 3) {
                tx.delete("Person", id);
            }
        });
        List<Long> expected = new ArrayList<>();
        for (long id = 1; id <= 40; id++) {
            if (id % 3 != 0) {
                expected.add(id);
            }
        }
        assertEquals(expected, ids(db.snapshot().scan("Person")));
        assertEquals(expected.subList(expected.indexOf(10L), expected.size()), ids(db.snapshot().scan("Person", 9)),
                "fromId 9 (deleted) starts at the next id");
        assertEquals(expected.subList(expected.indexOf(10L), expected.size()), ids(db.snapshot().scan("Person", 10)),
                "fromId is inclusive");
        assertEquals(List.of(), ids(db.snapshot().scan("Person", 41)));
        assertEquals(expected, ids(db.snapshot().scan("Person", Long.MIN_VALUE)));
        for (Entity e : db.snapshot().scan("Person").toList()) {
            assertEquals("p" + (e.id() - 1), e.getText("name"));
        }
        assertEquals(List.of(1L), ids(db.snapshot().scan("Counter")));
    }

    @Test
    void countFollowsInsertsAndDeletes() {
        KeelDb db = open();
        assertEquals(0, db.snapshot().count("Person"));
        for (int i = 0; i < 5; i++) {
            insert(db, "Person", person("p" + i, i));
        }
        assertEquals(5, db.snapshot().count("Person"));
        assertEquals(0, db.snapshot().count("Counter"));
        db.execute(tx -> tx.delete("Person", 2));
        db.execute(tx -> tx.update("Person", 3, Map.of("age", 9L)));
        assertEquals(4L, db.<Long>read(s -> s.count("Person")));
    }

    @Test
    void idsOfDeletedEntitiesAreNotReusedAfterReopen() {
        KeelDb db = open();
        for (int i = 0; i < 3; i++) {
            insert(db, "Person", person("p" + i, i));
        }
        db.execute(tx -> tx.delete("Person", 3));
        db.close();
        db = open();
        long id = insert(db, "Person", person("new", 0));
        assertEquals(4, id, "id 3 belonged to a committed (then deleted) entity; only ids of rolled-back"
                + " transactions may be reused after a restart (Transaction.insert javadoc)");
    }

    @Test
    void unknownEntityTypeIsAUsageError() {
        KeelDb db = open();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> db.snapshot().get("Nope", 1));
        assertTrue(e.getMessage().contains("Nope"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> db.snapshot().scan("Nope"));
        assertThrows(IllegalArgumentException.class, () -> db.execute(tx -> tx.insert("Nope", Map.of("x", 1L))));
    }

    // ---------------------------------------------------------------- field types

    static List<Map<String, Object>> allTypesSamples() {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        byte[] big = new byte[100_000];
        new Random(7).nextBytes(big);
        List<Map<String, Object>> samples = new ArrayList<>();
        Map<String, Object> s1 = new LinkedHashMap<>();
        s1.put("t", "");
        s1.put("l", Long.MIN_VALUE);
        s1.put("d", Double.NaN);
        s1.put("b", false);
        s1.put("ts", Instant.MIN);
        s1.put("bytes", new byte[0]);
        s1.put("ref", 1L);
        s1.put("vec", new float[0]);
        samples.add(s1);
        Map<String, Object> s2 = new LinkedHashMap<>();
        s2.put("t", "h\u00e9llo \u2713 \u0000 \ud83d\ude00 \u65e5\u672c");
        s2.put("l", Long.MAX_VALUE);
        s2.put("d", -0.0d);
        s2.put("b", true);
        s2.put("ts", Instant.parse("2024-02-29T12:34:56.123456789Z"));
        s2.put("bytes", all);
        s2.put("ref", Long.MAX_VALUE - 1);
        s2.put("vec", new float[] {1.5f, -0.0f, Float.NaN, Float.MAX_VALUE, Float.MIN_VALUE, Float.NEGATIVE_INFINITY});
        samples.add(s2);
        Map<String, Object> s3 = new LinkedHashMap<>();
        s3.put("t", "x".repeat(10_000));
        s3.put("l", 0L);
        s3.put("d", Double.NEGATIVE_INFINITY);
        s3.put("ts", Instant.MAX);
        s3.put("bytes", big);
        s3.put("vec", new float[] {0.25f});
        samples.add(s3);
        Map<String, Object> s4 = new LinkedHashMap<>();
        s4.put("ts", Instant.ofEpochSecond(-1, 1));
        s4.put("d", Double.MIN_VALUE);
        s4.put("l", -1L);
        samples.add(s4);
        Map<String, Object> s5 = new LinkedHashMap<>();
        s5.put("t", "only text");
        samples.add(s5);
        return samples;
    }

    static void assertSample(Map<String, Object> expected, Entity e, String where) {
        assertEquals(expected.keySet(), e.values().keySet(), where + ": fields present in " + e);
        String msg = where + ": " + e;
        assertEquals(expected.get("t"), e.getText("t"), msg);
        assertEquals(expected.get("l"), e.getLong("l"), msg);
        assertEquals(expected.get("d"), e.getDouble("d"), msg);
        assertEquals(expected.get("b"), e.getBoolean("b"), msg);
        assertEquals(expected.get("ts"), e.getTimestamp("ts"), msg);
        assertArrayEquals((byte[]) expected.get("bytes"), e.getBytes("bytes"), msg);
        assertEquals(expected.get("ref"), e.get("ref"), msg);
        assertArrayEquals((float[]) expected.get("vec"), e.getVector("vec"), msg);
        if (expected.get("d") != null) {
            assertEquals(Double.doubleToRawLongBits((Double) expected.get("d")),
                    Double.doubleToRawLongBits(e.getDouble("d")), msg + ": double bits");
        }
        if (expected.get("vec") != null) {
            float[] want = (float[]) expected.get("vec");
            float[] got = e.getVector("vec");
            for (int i = 0; i < want.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), msg + ": vec[" + i + "]");
            }
        }
    }

    static void assertSamples(KeelDb db, List<Long> ids, List<Map<String, Object>> samples, String where) {
        for (int i = 0; i < ids.size(); i++) {
            assertSample(samples.get(i), get(db, "AllTypes", ids.get(i)), where);
        }
        assertEquals(ids, ids(db.snapshot().scan("AllTypes")), where);
    }

    /** The Person entities the AllTypes samples refer to: a reference must point at an existing entity. */
    private static void insertReferenceTargets(KeelDb db) {
        db.execute(tx -> {
            for (long id : new long[] {1, 3, Long.MAX_VALUE - 1}) {
                tx.insert("Person", id, Map.of("name", "target " + id));
            }
        });
    }

    @Test
    void allEightFieldTypesRoundTripInMemoryAndThroughCloseAndReopen() {
        List<Map<String, Object>> samples = allTypesSamples();
        KeelDb db = open();
        insertReferenceTargets(db);
        List<Long> ids = new ArrayList<>();
        for (Map<String, Object> s : samples) {
            ids.add(insert(db, "AllTypes", s));
        }
        assertSamples(db, ids, samples, "same session");
        db.close();
        db = open();
        assertSamples(db, ids, samples, "after close and reopen");
        db.close();
        db = open(options().build().toBuilder().build());
        assertSamples(db, ids, samples, "after a second reopen");
    }

    @Test
    void allEightFieldTypesRoundTripThroughLogReplay() {
        List<Map<String, Object>> samples = allTypesSamples();
        KeelDb db = open();
        insertReferenceTargets(db);
        List<Long> ids = new ArrayList<>();
        for (Map<String, Object> s : samples) {
            ids.add(insert(db, "AllTypes", s));
        }
        Path image = crashImage(db, "replay");
        KeelDb replayed = open(image, options().build());
        RecoveryReport r = replayed.recoveryReport();
        assertEquals(0, r.checkpointLsn(), "no checkpoint was written: " + r);
        assertTrue(r.transactionsReplayed() >= samples.size(), "recovered by log replay: " + r);
        assertSamples(replayed, ids, samples, "after log replay");
    }

    @Test
    void allEightFieldTypesRoundTripThroughCheckpoint() {
        List<Map<String, Object>> samples = allTypesSamples();
        KeelDb db = open();
        insertReferenceTargets(db);
        List<Long> ids = new ArrayList<>();
        for (Map<String, Object> s : samples) {
            ids.add(insert(db, "AllTypes", s));
        }
        long cp = db.checkpoint();
        Path image = crashImage(db, "checkpointed");
        KeelDb loaded = open(image, options().build());
        RecoveryReport r = loaded.recoveryReport();
        assertEquals(cp, r.checkpointLsn(), "loaded from the checkpoint: " + r);
        assertEquals(0, r.transactionsReplayed(), "nothing to replay after the checkpoint: " + r);
        assertSamples(loaded, ids, samples, "after checkpoint load");
        db.close();
        db = open();
        assertSamples(db, ids, samples, "after checkpoint and clean reopen");
    }

    @Test
    void byteAndVectorValuesAreDefensivelyCopiedInAndOut() {
        KeelDb db = open();
        byte[] bytes = {1, 2, 3};
        float[] vec = {1f, 2f};
        Map<String, Object> values = new HashMap<>();
        values.put("bytes", bytes);
        values.put("vec", vec);
        long id = db.write(tx -> {
            long i = tx.insert("AllTypes", values);
            bytes[0] = 99;
            vec[0] = 99f;
            assertArrayEquals(new byte[] {1, 2, 3}, tx.get("AllTypes", i).orElseThrow().getBytes("bytes"),
                    "inside the transaction");
            return i;
        });
        bytes[1] = 99;
        vec[1] = 99f;
        Entity e = get(db, "AllTypes", id);
        assertArrayEquals(new byte[] {1, 2, 3}, e.getBytes("bytes"));
        assertArrayEquals(new float[] {1f, 2f}, e.getVector("vec"));

        e.getBytes("bytes")[0] = 42;
        e.getVector("vec")[0] = 42f;
        ((byte[]) e.get("bytes"))[1] = 42;
        ((float[]) e.get("vec"))[1] = 42f;
        assertArrayEquals(new byte[] {1, 2, 3}, e.getBytes("bytes"), "getters return copies");
        assertArrayEquals(new float[] {1f, 2f}, e.getVector("vec"), "getters return copies");
        assertArrayEquals(new byte[] {1, 2, 3}, get(db, "AllTypes", id).getBytes("bytes"));

        byte[] upd = {7, 7};
        db.execute(tx -> {
            tx.update("AllTypes", id, Map.of("bytes", upd));
            upd[0] = 0;
        });
        assertArrayEquals(new byte[] {7, 7}, get(db, "AllTypes", id).getBytes("bytes"));
    }

    @Test
    void entityValuesMapDoesNotExposeMutableArrays() {
        KeelDb db = open();
        long id = insert(db, "AllTypes", Map.of("bytes", new byte[] {1, 2, 3}, "vec", new float[] {1f, 2f}));
        Entity e = get(db, "AllTypes", id);
        Object b = e.values().get("bytes");
        Object v = e.values().get("vec");
        ((byte[]) b)[0] = 42;
        ((float[]) v)[0] = 42f;
        assertArrayEquals(new byte[] {1, 2, 3}, e.getBytes("bytes"),
                "Entity is documented immutable (arrays copied on the way out), but values() hands out its arrays");
        assertArrayEquals(new float[] {1f, 2f}, e.getVector("vec"),
                "Entity is documented immutable (arrays copied on the way out), but values() hands out its arrays");
    }

    // ---------------------------------------------------------------- constraints and defaults

    @Test
    void missingRequiredFieldIsRejectedNamingTypeAndField() {
        KeelDb db = open();
        ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                () -> insert(db, "Person", Map.of("age", 3L)));
        assertEquals("Person", e.type());
        assertEquals("name", e.field());
        assertEquals(ErrorCode.CONSTRAINT_VIOLATION, e.code());
        assertTrue(e.getMessage().contains("Person.name"), e.getMessage());

        Map<String, Object> explicitNull = new HashMap<>();
        explicitNull.put("name", null);
        ConstraintViolationException e2 = assertThrows(ConstraintViolationException.class,
                () -> insert(db, "Person", explicitNull));
        assertEquals("name", e2.field());

        long id = insert(db, "Person", person("a", 1));
        Map<String, Object> clearName = new HashMap<>();
        clearName.put("name", null);
        ConstraintViolationException e3 = assertThrows(ConstraintViolationException.class,
                () -> db.execute(tx -> tx.update("Person", id, clearName)));
        assertEquals("name", e3.field());
        assertEquals("a", get(db, "Person", id).getText("name"));
        assertEquals(1, db.snapshot().count("Person"));
    }

    @Test
    void wrongValueTypesAreRejectedForEveryFieldType() {
        KeelDb db = open();
        Map<String, Object> wrong = new LinkedHashMap<>();
        wrong.put("t", 5L);
        wrong.put("l", "five");
        wrong.put("d", "1.0");
        wrong.put("b", "true");
        wrong.put("ts", 1_700_000_000_000L);
        wrong.put("bytes", "bytes");
        wrong.put("ref", "Person#1");
        wrong.put("vec", new double[] {1.0});
        for (Map.Entry<String, Object> w : wrong.entrySet()) {
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                    () -> insert(db, "AllTypes", Map.of(w.getKey(), w.getValue())), w.toString());
            assertEquals("AllTypes", e.type());
            assertEquals(w.getKey(), e.field());
            assertTrue(e.getMessage().contains("AllTypes." + w.getKey()), e.getMessage());
        }
        assertEquals(0, db.snapshot().count("AllTypes"));
        long id = insert(db, "Person", person("a", 1));
        ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                () -> db.execute(tx -> tx.update("Person", id, Map.of("age", "old"))));
        assertEquals("age", e.field());
        assertEquals(1L, get(db, "Person", id).getLong("age"));
    }

    @Test
    void losslessWideningsAreAccepted() {
        KeelDb db = open();
        insertReferenceTargets(db);
        long id = insert(db, "AllTypes", Map.of("l", 42, "d", 1.5f, "ref", (short) 3));
        Entity e = get(db, "AllTypes", id);
        assertEquals(42L, e.getLong("l"));
        assertEquals(1.5d, e.getDouble("d"));
        assertEquals(3L, e.get("ref"));
    }

    @Test
    void unknownFieldIsRejectedOnInsertAndUpdate() {
        KeelDb db = open();
        ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                () -> insert(db, "Person", Map.of("name", "a", "nickname", "b")));
        assertEquals("Person", e.type());
        assertEquals("nickname", e.field());
        long id = insert(db, "Person", person("a", 1));
        ConstraintViolationException u = assertThrows(ConstraintViolationException.class,
                () -> db.execute(tx -> tx.update("Person", id, Map.of("nickname", "b"))));
        assertEquals("nickname", u.field());
        assertEquals(1, db.snapshot().count("Person"));
    }

    @Test
    void aConstraintViolationRollsBackTheWholeTransaction() {
        KeelDb db = open();
        long lsn = db.snapshot().lsn();
        assertThrows(ConstraintViolationException.class, () -> db.execute(tx -> {
            tx.insert("Person", person("ok", 1));
            tx.insert("Person", Map.of("age", 2L));
        }));
        assertEquals(0, db.snapshot().count("Person"));
        assertEquals(lsn, db.snapshot().lsn());
    }

    @Test
    void defaultsAreAppliedOnInsertOnly() {
        KeelDb db = open();
        long a = insert(db, "Person", Map.of("name", "a"));
        long b = insert(db, "Person", Map.of("name", "b", "city", "Bergen"));
        Map<String, Object> nullCity = new HashMap<>();
        nullCity.put("name", "c");
        nullCity.put("city", null);
        long c = insert(db, "Person", nullCity);
        assertEquals("Oslo", get(db, "Person", a).getText("city"));
        assertEquals("Bergen", get(db, "Person", b).getText("city"));
        assertEquals("Oslo", get(db, "Person", c).getText("city"), "a null value takes the default");
        assertNull(get(db, "Person", a).getLong("age"), "no default, no value");
        db.execute(tx -> tx.update("Person", a, Map.of("age", 3L)));
        assertEquals("Oslo", get(db, "Person", a).getText("city"));
    }

    // ---------------------------------------------------------------- records

    @EntityName("Author")
    public record AuthorRec(@Required String name, @Default("7") Long rank, @Default("true") Boolean active) {
    }

    public record Book(@Required String title, @Reference("Author") Long author, int pages, double price, boolean inPrint,
            Instant published, byte[] cover, float[] embedding, @Default("unknown") String genre) {
    }

    public record WithUuid(String name, UUID id) {
    }

    public record StringReference(@Reference("Author") String author) {
    }

    KeelOptions recordOptions() {
        return KeelOptions.builder().segmentSizeInBytes(64 * 1024).entityType(AuthorRec.class)
                .entityType(Book.class).build();
    }

    static void assertBook(Book expected, Book actual) {
        assertEquals(expected.title(), actual.title());
        assertEquals(expected.author(), actual.author());
        assertEquals(expected.pages(), actual.pages());
        assertEquals(expected.price(), actual.price());
        assertEquals(expected.inPrint(), actual.inPrint());
        assertEquals(expected.published(), actual.published());
        assertArrayEquals(expected.cover(), actual.cover());
        assertArrayEquals(expected.embedding(), actual.embedding());
        assertEquals(expected.genre(), actual.genre());
    }

    @Test
    void recordClassesMapToEntityTypes() {
        EntityType author = EntityType.of(AuthorRec.class);
        assertEquals("Author", author.name(), "@EntityName");
        assertEquals(List.of(Field.text("name").required(), Field.longField("rank").defaultValue(7L),
                Field.bool("active").defaultValue(true)), author.fields());

        EntityType book = EntityType.of(Book.class);
        assertEquals("Book", book.name(), "simple name by default");
        assertEquals(List.of(
                Field.text("title").required(),
                Field.reference("author", "Author"),
                Field.intField("pages").required(),
                Field.doubleField("price").required(),
                Field.bool("inPrint").required(),
                Field.timestamp("published"),
                Field.bytes("cover"),
                Field.vector("embedding"),
                Field.text("genre").defaultValue("unknown")), book.fields());
    }

    @Test
    void recordsInsertGetScanUpdateAndDelete() {
        KeelDb db = open(recordOptions());
        long ada = db.write(tx -> tx.insert(new AuthorRec("Ada", null, null)));
        AuthorRec stored = db.snapshot().get(AuthorRec.class, ada).orElseThrow();
        assertEquals(new AuthorRec("Ada", 7L, true), stored, "@Default applied to null components");
        assertEquals(7L, get(db, "Author", ada).getLong("rank"), "readable by type name too");

        Instant when = Instant.parse("1843-10-01T00:00:00.000000001Z");
        Book first = new Book("Notes", ada, 65, 9.5, true, when, new byte[] {1, 2}, new float[] {0.5f}, null);
        long b1 = db.write(tx -> tx.insert(first));
        long b2 = db.write(tx -> tx.insert(new Book("Second", null, 10, 1.0, false, null, null, null, "essay")));
        assertEquals(List.of(1L, 2L), List.of(b1, b2));
        Book got = db.snapshot().get(Book.class, b1).orElseThrow();
        assertBook(new Book("Notes", ada, 65, 9.5, true, when, new byte[] {1, 2}, new float[] {0.5f}, "unknown"), got);

        List<Book> scanned = db.snapshot().scan(Book.class).toList();
        assertEquals(List.of("Notes", "Second"), scanned.stream().map(Book::title).toList());

        Book replacement = new Book("Notes, 2nd ed.", null, 70, 12.0, false, null, null, new float[] {1f, 2f}, "math");
        db.execute(tx -> tx.update(b1, replacement));
        assertBook(replacement, db.snapshot().get(Book.class, b1).orElseThrow());
        assertNull(get(db, "Book", b1).get("author"), "update(id, record) replaces all fields; null clears");

        assertThrows(EntityNotFoundException.class, () -> db.execute(tx -> tx.update(99, replacement)));
        assertTrue(db.<Boolean>write(tx -> tx.delete(Book.class, b2)));
        assertFalse(db.<Boolean>write(tx -> tx.delete(Book.class, b2)));
        assertEquals(Optional.empty(), db.snapshot().get(Book.class, b2));
        assertEquals(1, db.snapshot().count("Book"));

        db.close();
        KeelDb again = open(recordOptions());
        assertBook(replacement, again.snapshot().get(Book.class, b1).orElseThrow());
        assertEquals(new AuthorRec("Ada", 7L, true), again.snapshot().get(AuthorRec.class, ada).orElseThrow());
    }

    @Test
    void recordValuesAreCopied() {
        KeelDb db = open(recordOptions());
        byte[] cover = {1, 2, 3};
        long id = db.write(tx -> tx.insert(new Book("t", null, 1, 1, true, null, cover, null, null)));
        cover[0] = 9;
        Book b = db.snapshot().get(Book.class, id).orElseThrow();
        assertArrayEquals(new byte[] {1, 2, 3}, b.cover());
        b.cover()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, db.snapshot().get(Book.class, id).orElseThrow().cover());
    }

    @Test
    void requiredRecordComponentIsEnforced() {
        KeelDb db = open(recordOptions());
        ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                () -> db.write(tx -> tx.insert(new AuthorRec(null, 1L, true))));
        assertEquals("Author", e.type());
        assertEquals("name", e.field());
    }

    record PackagePrivateNote(@Required String text, long stars) {
    }

    @Test
    void aNonPublicRecordIsEitherRejectedUpFrontOrFullyUsable() {
        EntityType type;
        try {
            type = EntityType.of(PackagePrivateNote.class);
        } catch (IllegalArgumentException rejected) {
            assertTrue(rejected.getMessage().contains(PackagePrivateNote.class.getName()), rejected.getMessage());
            return;
        }
        KeelDb db = open(KeelOptions.builder().entityType(type).build());
        long id = db.write(tx -> tx.insert(new PackagePrivateNote("hi", 5)));
        assertEquals(new PackagePrivateNote("hi", 5), db.snapshot().get(PackagePrivateNote.class, id).orElseThrow());
        db.execute(tx -> tx.update(id, new PackagePrivateNote("ho", 4)));
        assertEquals(List.of(new PackagePrivateNote("ho", 4)), db.snapshot().scan(PackagePrivateNote.class).toList());
    }

    @Test
    void unsupportedRecordComponentTypeIsRejectedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EntityType.of(WithUuid.class));
        assertTrue(e.getMessage().contains("id") && e.getMessage().contains("java.util.UUID"), e.getMessage());
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
                () -> KeelOptions.builder().entityType(WithUuid.class));
        assertEquals(e.getMessage(), again.getMessage(), "the same error every time");
        IllegalArgumentException ref = assertThrows(IllegalArgumentException.class,
                () -> EntityType.of(StringReference.class));
        assertTrue(ref.getMessage().contains("author"), ref.getMessage());
    }

    // ---------------------------------------------------------------- transactions

    @Test
    void writeCommitsWhenTheFunctionReturns() {
        KeelDb db = open();
        String result = db.write(tx -> {
            tx.insert("Person", person("a", 1));
            tx.insert("Person", person("b", 2));
            return "done";
        });
        assertEquals("done", result);
        assertEquals(2, db.snapshot().count("Person"));
    }

    @Test
    void writeRollsBackAndRethrowsWhenTheFunctionThrows() {
        KeelDb db = open();
        long existing = insert(db, "Person", person("keep", 1));
        long lsn = db.snapshot().lsn();
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicInteger runs = new AtomicInteger();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> db.execute(tx -> {
            runs.incrementAndGet();
            tx.insert("Person", person("x", 2));
            tx.update("Person", existing, Map.of("age", 99L));
            tx.delete("Counter", 1);
            throw boom;
        }));
        assertSame(boom, thrown, "the work's exception propagates unchanged");
        assertEquals(1, runs.get(), "not retried");
        assertEquals(1, db.snapshot().count("Person"));
        assertEquals(1L, get(db, "Person", existing).getLong("age"));
        assertEquals(lsn, db.snapshot().lsn(), "nothing committed");
        db.close();
        KeelDb again = open();
        assertEquals(1, again.snapshot().count("Person"), "nothing of it after reopen either");
        assertEquals(1L, get(again, "Person", existing).getLong("age"));
    }

    @Test
    void explicitTransactionCommitsAndCloseWithoutCommitRollsBack() {
        KeelDb db = open();
        try (Transaction tx = db.begin()) {
            tx.insert("Person", person("committed", 1));
            tx.commit();
        }
        try (Transaction tx = db.begin()) {
            tx.insert("Person", person("forgotten", 2));
            tx.update("Person", 1, Map.of("age", 50L));
        }
        Transaction tx = db.begin();
        tx.insert("Person", person("rolled back", 3));
        tx.rollback();
        assertThrows(DatabaseClosedException.class, tx::commit, "rolled back transaction cannot commit");
        tx.close();
        assertEquals(List.of("committed"), db.snapshot().scan("Person").map(e -> e.getText("name")).toList());
        assertEquals(1L, get(db, "Person", 1).getLong("age"));
    }

    @Test
    void transactionIsUnusableAfterCommit() {
        KeelDb db = open();
        Transaction tx = db.begin();
        long id = tx.insert("Person", person("a", 1));
        tx.commit();
        assertThrows(DatabaseClosedException.class, () -> tx.insert("Person", person("b", 2)));
        assertThrows(DatabaseClosedException.class, () -> tx.update("Person", id, Map.of("age", 2L)));
        assertThrows(DatabaseClosedException.class, () -> tx.delete("Person", id));
        assertThrows(DatabaseClosedException.class, () -> tx.get("Person", id));
        assertThrows(DatabaseClosedException.class, () -> tx.scan("Person"));
        assertThrows(DatabaseClosedException.class, () -> tx.count("Person"));
        assertThrows(DatabaseClosedException.class, tx::commit);
        assertThrows(DatabaseClosedException.class, tx::rollback);
        assertDoesNotThrow(tx::close, "close after commit is a no-op");
        assertEquals(1, db.snapshot().count("Person"));
        assertEquals(1L, get(db, "Person", id).getLong("age"));
    }

    @Test
    void transactionReadsItsOwnWritesIncludingScanAndCount() {
        KeelDb db = open();
        for (int i = 1; i <= 5; i++) {
            insert(db, "Person", person("p" + i, i));
        }
        try (Transaction tx = db.begin()) {
            long n6 = tx.insert("Person", person("p6", 6));
            long n7 = tx.insert("Person", person("p7", 7));
            assertEquals(List.of(6L, 7L), List.of(n6, n7));
            tx.update("Person", 2, Map.of("age", 20L));
            tx.update("Person", n6, Map.of("age", 60L));
            assertTrue(tx.delete("Person", 4));
            assertTrue(tx.delete("Person", n7), "deleting an own insert");
            assertFalse(tx.delete("Person", 4), "already deleted in this transaction");
            assertThrows(EntityNotFoundException.class, () -> tx.update("Person", 4, Map.of("age", 1L)));

            assertEquals(20L, tx.get("Person", 2).orElseThrow().getLong("age"));
            assertEquals(60L, tx.get("Person", n6).orElseThrow().getLong("age"));
            assertEquals("Oslo", tx.get("Person", n6).orElseThrow().getText("city"), "defaults applied in the tx");
            assertEquals(Optional.empty(), tx.get("Person", 4));
            assertEquals(Optional.empty(), tx.get("Person", n7));
            assertEquals(List.of(1L, 2L, 3L, 5L, 6L), ids(tx.scan("Person")));
            assertEquals(List.of(20L), tx.scan("Person").filter(e -> e.id() == 2).map(e -> e.getLong("age")).toList());
            assertEquals(List.of(3L, 5L, 6L), ids(tx.scan("Person", 3)));
            assertEquals(List.of(5L, 6L), ids(tx.scan("Person", 4)));
            assertEquals(List.of(6L), ids(tx.scan("Person", 6)));
            assertEquals(5, tx.count("Person"));
            assertEquals(0, tx.count("Counter"));

            assertEquals(5, db.snapshot().count("Person"), "others do not see uncommitted work");
            assertEquals(4L, get(db, "Person", 4).getLong("age"));
            assertEquals(2L, get(db, "Person", 2).getLong("age"));
            tx.commit();
        }
        assertEquals(List.of(1L, 2L, 3L, 5L, 6L), ids(db.snapshot().scan("Person")));
        assertEquals(5, db.snapshot().count("Person"));
        assertEquals(20L, get(db, "Person", 2).getLong("age"));
        assertEquals(60L, get(db, "Person", 6).getLong("age"));
    }

    @Test
    void snapshotsAreIsolatedFromLaterCommits() {
        KeelDb db = open();
        long id = insert(db, "Person", person("a", 1));
        Snapshot before = db.snapshot();
        long beforeLsn = before.lsn();
        Transaction open = db.begin();
        db.execute(tx -> {
            tx.update("Person", id, Map.of("age", 2L));
            tx.insert("Person", person("b", 2));
        });
        Snapshot after = db.snapshot();
        assertEquals(beforeLsn, before.lsn());
        assertEquals(1L, before.get("Person", id).orElseThrow().getLong("age"));
        assertEquals(1, before.count("Person"));
        assertEquals(List.of(id), ids(before.scan("Person")));
        assertEquals(1L, open.get("Person", id).orElseThrow().getLong("age"), "a transaction reads its begin snapshot");
        assertEquals(1, open.count("Person"));
        open.close();
        assertTrue(after.lsn() > beforeLsn);
        assertEquals(2L, after.get("Person", id).orElseThrow().getLong("age"));
        assertEquals(2, after.count("Person"));

        db.execute(tx -> tx.delete("Person", id));
        assertEquals(2L, after.get("Person", id).orElseThrow().getLong("age"), "a snapshot survives a delete");
        assertEquals(Optional.empty(), db.snapshot().get("Person", id));
    }

    @Test
    void uncommittedWorkIsInvisibleToOtherTransactionsAndSnapshots() {
        KeelDb db = open();
        Transaction writer = db.begin();
        long id = writer.insert("Person", person("hidden", 1));
        Transaction reader = db.begin();
        assertEquals(Optional.empty(), reader.get("Person", id));
        assertEquals(Optional.empty(), db.snapshot().get("Person", id));
        writer.commit();
        assertEquals(Optional.empty(), reader.get("Person", id), "reader's snapshot predates the commit");
        assertEquals(0, reader.count("Person"));
        reader.close();
        assertEquals("hidden", get(db, "Person", id).getText("name"));
    }

    @Test
    void secondCommitOfAConflictingTransactionThrowsAndChangesNothing() {
        KeelDb db = open();
        long id = insert(db, "Counter", Map.of("value", 1L));
        Transaction t1 = db.begin();
        Transaction t2 = db.begin();
        t1.update("Counter", id, Map.of("value", 10L));
        t2.update("Counter", id, Map.of("value", 20L));
        long t2Insert = t2.insert("Person", person("from t2", 1));
        t1.commit();
        long lsn = db.snapshot().lsn();
        ConflictException e = assertThrows(ConflictException.class, t2::commit);
        assertEquals(ErrorCode.CONFLICT, e.code());
        assertTrue(e.getMessage().contains("Counter"), e.getMessage());
        t2.close();
        assertEquals(10L, get(db, "Counter", id).getLong("value"));
        assertEquals(Optional.empty(), db.snapshot().get("Person", t2Insert));
        assertEquals(0, db.snapshot().count("Person"));
        assertEquals(lsn, db.snapshot().lsn(), "the failed commit wrote nothing");

        db.close();
        KeelDb again = open();
        assertEquals(10L, get(again, "Counter", id).getLong("value"));
        assertEquals(0, again.snapshot().count("Person"));
    }

    @Test
    void deleteAndUpdateOfTheSameEntityConflict() {
        KeelDb db = open();
        long id = insert(db, "Counter", Map.of("value", 1L));
        Transaction deleter = db.begin();
        Transaction updater = db.begin();
        assertTrue(deleter.delete("Counter", id));
        updater.update("Counter", id, Map.of("value", 2L));
        updater.commit();
        assertThrows(ConflictException.class, deleter::commit);
        deleter.close();
        assertEquals(2L, get(db, "Counter", id).getLong("value"));
    }

    @Test
    void transactionsWritingDifferentEntitiesDoNotConflict() {
        KeelDb db = open();
        long a = insert(db, "Counter", Map.of("value", 1L));
        long b = insert(db, "Counter", Map.of("value", 1L));
        Transaction t1 = db.begin();
        Transaction t2 = db.begin();
        t1.update("Counter", a, Map.of("value", 2L));
        t2.update("Counter", b, Map.of("value", 3L));
        t2.insert("Counter", Map.of("value", 4L));
        t1.insert("Counter", Map.of("value", 5L));
        t1.commit();
        assertDoesNotThrow(t2::commit);
        assertEquals(List.of(2L, 3L, 4L, 5L),
                db.snapshot().scan("Counter").map(e -> e.getLong("value")).toList());
    }

    @Test
    void writeRunsTheWorkAgainAfterAConflict() throws Exception {
        KeelDb db = open();
        long id = insert(db, "Counter", Map.of("value", 0L));
        AtomicInteger runs = new AtomicInteger();
        db.execute(tx -> {
            long v = tx.get("Counter", id).orElseThrow().getLong("value");
            if (runs.getAndIncrement() == 0) {
                runInOtherThread(() -> db.execute(o -> o.update("Counter", id, Map.of("value", 100L))));
            }
            tx.update("Counter", id, Map.of("value", v + 1));
        });
        assertEquals(2, runs.get(), "the first attempt conflicted and was run again");
        assertEquals(101L, get(db, "Counter", id).getLong("value"));
    }

    @Test
    void writeGivesUpAfterMaxConflictRetries() throws Exception {
        KeelDb db = open(options().maxConflictRetries(0).build());
        long id = insert(db, "Counter", Map.of("value", 0L));
        AtomicInteger runs = new AtomicInteger();
        assertThrows(ConflictException.class, () -> db.execute(tx -> {
            long v = tx.get("Counter", id).orElseThrow().getLong("value");
            runs.incrementAndGet();
            runInOtherThread(() -> db.execute(o -> o.update("Counter", id, Map.of("value", 100L))));
            tx.update("Counter", id, Map.of("value", v + 1));
        }));
        assertEquals(1, runs.get());
        assertEquals(100L, get(db, "Counter", id).getLong("value"));
    }

    static void runInOtherThread(Runnable r) {
        Thread t = new Thread(r, "competing-writer");
        AtomicInteger failed = new AtomicInteger();
        t.setUncaughtExceptionHandler((th, e) -> failed.incrementAndGet());
        t.start();
        try {
            t.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        assertFalse(t.isAlive(), "competing writer did not finish");
        assertEquals(0, failed.get(), "competing writer failed");
    }

    /** Runs {@code perThread} on {@code threads} threads started together; fails on the first error. */
    static void concurrently(int threads, Callable<Void> perThread) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return perThread.call();
                }));
            }
            start.countDown();
            for (Future<Void> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            // Not shutdownNow: interrupting a thread inside a commit closes the log's FileChannel.
            pool.shutdown();
            assertTrue(pool.awaitTermination(120, TimeUnit.SECONDS));
        }
    }

    @Test
    void concurrentIncrementsWithExplicitRetriesAreNeverLost() throws Exception {
        KeelDb db = open();
        long id = insert(db, "Counter", Map.of("value", 0L));
        AtomicInteger conflicts = new AtomicInteger();
        concurrently(4, () -> {
            for (int i = 0; i < 200; i++) {
                while (true) {
                    try (Transaction tx = db.begin()) {
                        long v = tx.get("Counter", id).orElseThrow().getLong("value");
                        tx.update("Counter", id, Map.of("value", v + 1));
                        tx.commit();
                        break;
                    } catch (ConflictException e) {
                        conflicts.incrementAndGet();
                        Thread.yield();
                    }
                }
            }
            return null;
        });
        assertEquals(800L, get(db, "Counter", id).getLong("value"), conflicts.get() + " conflicts");
    }

    @Test
    void concurrentIncrementsThroughWriteAreNeverLost() throws Exception {
        KeelDb db = open();
        long id = insert(db, "Counter", Map.of("value", 0L));
        int threads = 4;
        int increments = 200;
        concurrently(threads, () -> {
            for (int i = 0; i < increments; i++) {
                db.execute(tx -> {
                    long v = tx.get("Counter", id).orElseThrow().getLong("value");
                    tx.update("Counter", id, Map.of("value", v + 1));
                });
            }
            return null;
        });
        assertEquals((long) threads * increments, get(db, "Counter", id).getLong("value"));
        db.close();
        assertEquals((long) threads * increments, get(open(), "Counter", id).getLong("value"));
    }

    @Test
    void anInterruptedWriterDoesNotFailTheDatabase() {
        KeelDb db = open();
        insert(db, "Person", person("a", 1));
        Thread.currentThread().interrupt();
        try {
            db.execute(tx -> tx.insert("Person", person("b", 2)));
        } catch (KeelException mayFailForItsCaller) {
            // The interrupted caller may get an error; the database must not.
        } finally {
            Thread.interrupted();
        }
        assertEquals(Optional.empty(), db.failure(),
                "a thread interrupt (Future.cancel(true), ExecutorService.shutdownNow) is not a storage failure");
        assertDoesNotThrow(() -> insert(db, "Person", person("c", 3)), "later writes from other callers still work");
    }

    // ---------------------------------------------------------------- schema

    @Test
    void declaredTypesAreStoredAndReadableWithoutDeclaringThemAgain() {
        KeelDb db = open();
        assertEquals(List.of(PERSON, ALL, COUNTER), db.schema());
        long id = insert(db, "Person", person("a", 1));
        db.close();
        KeelDb again = open(KeelOptions.builder().segmentSizeInBytes(64 * 1024).build());
        assertEquals(List.of(PERSON, ALL, COUNTER), again.schema());
        assertEquals("a", get(again, "Person", id).getText("name"));
        long next = insert(again, "Person", Map.of("name", "b"));
        assertEquals("Oslo", get(again, "Person", next).getText("city"), "stored defaults still apply");
        assertThrows(ConstraintViolationException.class, () -> insert(again, "Person", Map.of("age", 1L)),
                "stored required flag still applies");
    }

    @Test
    void declaringAChangedTypeIsASchemaMismatchAndLeavesTheDatabaseUsable() {
        KeelDb db = open();
        insert(db, "Person", person("a", 1));
        db.close();
        // Incompatible: a LONG field redeclared as TEXT (only widening is migrated).
        EntityType changed = EntityType.builder("Person")
                .requiredField("name", FieldType.TEXT)
                .field("age", FieldType.TEXT)
                .field(Field.text("city").defaultValue("Oslo"))
                .field(Field.bool("active"))
                .build();
        SchemaMismatchException e = assertThrows(SchemaMismatchException.class,
                () -> open(KeelOptions.builder().segmentSizeInBytes(64 * 1024).entityTypes(changed, ALL, COUNTER).build()));
        assertEquals(ErrorCode.SCHEMA_MISMATCH, e.code());
        assertEquals(1, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().get(0).contains("Person"), e.problems().toString());
        assertTrue(e.getMessage().contains("Person"), e.getMessage());

        // Incompatible: a new required field without a default.
        EntityType extraField = EntityType.builder("Counter").requiredField("value", FieldType.LONG)
                .requiredField("step", FieldType.LONG).build();
        SchemaMismatchException two = assertThrows(SchemaMismatchException.class,
                () -> open(KeelOptions.builder().entityTypes(changed, extraField).build()));
        assertEquals(2, two.problems().size(), "every changed type is listed: " + two.problems());

        KeelDb again = open();
        assertEquals(List.of(PERSON, ALL, COUNTER), again.schema(), "stored schema unchanged, lock released");
        assertEquals(1, again.snapshot().count("Person"));
    }

    @Test
    void addingANewTypeOnReopenWorks() {
        KeelDb db = open();
        insert(db, "Person", person("a", 1));
        insert(db, "Person", person("b", 2));
        db.close();
        EntityType tag = EntityType.builder("Tag").requiredField("label", FieldType.TEXT)
                .field(Field.reference("person", "Person")).build();
        KeelDb again = open(KeelOptions.builder().segmentSizeInBytes(64 * 1024).entityTypes(PERSON, tag).build());
        assertEquals(List.of(PERSON, ALL, COUNTER, tag), again.schema());
        assertEquals(1, insert(again, "Tag", Map.of("label", "x", "person", 1L)));
        assertEquals(3, insert(again, "Person", person("c", 3)));
        again.close();
        KeelDb third = open(KeelOptions.builder().build());
        assertEquals(List.of(PERSON, ALL, COUNTER, tag), third.schema());
        assertEquals("x", get(third, "Tag", 1).getText("label"));
        assertEquals(3, third.snapshot().count("Person"));
    }

    @Test
    void addedTypeSurvivesACrashBeforeAnyCheckpoint() {
        KeelDb db = open();
        insert(db, "Person", person("a", 1));
        db.close();
        EntityType tag = EntityType.builder("Tag").requiredField("label", FieldType.TEXT).build();
        KeelDb again = open(KeelOptions.builder().entityTypes(tag).build());
        insert(again, "Tag", Map.of("label", "x"));
        KeelDb replayed = open(crashImage(again, "crash"), KeelOptions.defaults());
        assertEquals(List.of(PERSON, ALL, COUNTER, tag), replayed.schema());
        assertEquals("x", get(replayed, "Tag", 1).getText("label"));
    }

    static void assertRejected(Runnable r, String... mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String m : mustMention) {
            assertTrue(e.getMessage().contains(m), "message should mention '" + m + "': " + e.getMessage());
        }
    }

    @Test
    void optionsBuilderRejectsBadValuesNamingOptionAndValue() {
        assertRejected(() -> KeelOptions.builder().segmentSizeInBytes(1000), "segmentSizeInBytes", "1000");
        assertRejected(() -> KeelOptions.builder().segmentSizeInBytes(64 * 1024 - 1), "segmentSizeInBytes", "65535");
        assertRejected(() -> KeelOptions.builder().segmentSizeInBytes((1L << 30) + 1), "segmentSizeInBytes",
                String.valueOf((1L << 30) + 1));
        assertRejected(() -> KeelOptions.builder().segmentSizeInBytes(-1), "segmentSizeInBytes", "-1");
        assertDoesNotThrow(() -> KeelOptions.builder().segmentSizeInBytes(64 * 1024).segmentSizeInBytes(1L << 30));
        assertRejected(() -> KeelOptions.builder().maxConflictRetries(-1), "maxConflictRetries", "-1");
        assertRejected(() -> KeelOptions.builder().maxConflictRetries(1001), "maxConflictRetries", "1001");
        assertRejected(() -> KeelOptions.builder().checkpointLogSizeInBytes(10), "checkpointLogSizeInBytes", "10");
        assertRejected(() -> KeelOptions.builder().groupCommitWindow(Duration.ZERO), "groupCommitWindow", "PT0S");
        assertRejected(() -> KeelOptions.builder().groupCommitWindow(Duration.ofSeconds(11)), "groupCommitWindow", "PT11S");
        assertRejected(() -> KeelOptions.builder().checkpointInterval(Duration.ofMillis(10)), "checkpointInterval",
                "PT0.01S");
        assertRejected(() -> KeelOptions.builder().entityType(PERSON).entityType(PERSON), "Person", "twice");
        assertRejected(() -> KeelOptions.builder().entityTypes(PERSON, COUNTER, PERSON), "Person", "twice");
        EntityType dangling = EntityType.builder("Order").field(Field.reference("customer", "Customer")).build();
        assertRejected(() -> KeelOptions.builder().entityType(dangling).build(), "Order.customer", "Customer");
        assertRejected(() -> KeelOptions.builder().entityType(ALL).build(), "AllTypes.ref", "Person");
    }

    @Test
    void badNamesAndBadTypeDeclarationsAreRejected() {
        assertRejected(() -> EntityType.builder("1abc"), "entity type name", "1abc");
        assertRejected(() -> EntityType.builder(""), "entity type name", "''");
        assertRejected(() -> EntityType.builder("has space"), "entity type name", "has space");
        assertRejected(() -> EntityType.builder("a".repeat(65)), "entity type name", "a".repeat(65));
        assertRejected(() -> EntityType.builder(null), "entity type name");
        assertDoesNotThrow(() -> EntityType.builder("a".repeat(64)));
        assertRejected(() -> Field.text("bad-name"), "field name", "bad-name");
        assertRejected(() -> Field.longField("_x"), "field name", "_x");
        assertRejected(() -> Field.reference("r", "no such!"), "no such!");
        assertRejected(() -> EntityType.builder("Empty").build(), "Empty");
        assertRejected(() -> EntityType.builder("Twice").field(Field.text("a")).field(Field.longField("a")).build(),
                "Twice", "a");
        assertRejected(() -> Field.longField("n").defaultValue("seven"), "n", "seven");
    }

    // ---------------------------------------------------------------- lock

    @Test
    void secondOpenOfTheSameDirectoryIsRefusedNamingTheHolder() {
        KeelDb db = open();
        long id = insert(db, "Person", person("a", 1));
        DatabaseLockedException e = assertThrows(DatabaseLockedException.class, () -> open());
        assertEquals(ErrorCode.DATABASE_LOCKED, e.code());
        String pid = "pid=" + ProcessHandle.current().pid();
        assertTrue(e.getMessage().contains(pid), e.getMessage());
        assertTrue(e.holder().contains(pid), e.holder());
        assertThrows(DatabaseLockedException.class,
                () -> open(tmp.resolve("db/../db"), options().build()), "another spelling of the same directory");
        assertEquals(2, insert(db, "Person", person("b", 2)), "the holder is unaffected");
        db.close();
        KeelDb again = open();
        assertEquals("a", get(again, "Person", id).getText("name"));
        assertEquals(2, again.snapshot().count("Person"));
    }

    // ---------------------------------------------------------------- READ_ONLY

    void assertReadOnly(KeelDb ro, long id) {
        assertEquals(RecoveryMode.READ_ONLY, ro.recoveryReport().mode());
        assertEquals("a", get(ro, "Person", id).getText("name"));
        assertEquals(2, ro.snapshot().count("Person"));
        assertEquals(List.of(PERSON, ALL, COUNTER), ro.schema());
        assertThrows(ReadOnlyException.class, () -> ro.write(tx -> tx.insert("Person", person("x", 1))));
        assertThrows(ReadOnlyException.class, () -> ro.execute(tx -> tx.delete("Person", id)));
        assertThrows(ReadOnlyException.class, ro::begin);
        assertThrows(ReadOnlyException.class, ro::checkpoint);
        assertEquals(ErrorCode.READ_ONLY, assertThrows(ReadOnlyException.class, ro::begin).code());
    }

    @Test
    void readOnlyModeReadsAndRefusesEveryWriteWithoutChangingAnyFile() {
        KeelDb db = open();
        long id = insert(db, "Person", person("a", 1));
        insert(db, "Person", person("b", 2));
        db.close();
        Map<String, String> before = DbFiles.fingerprint(dir());
        KeelDb ro = open(options().recoveryMode(RecoveryMode.READ_ONLY).build());
        assertReadOnly(ro, id);
        ro.close();
        assertEquals(before, DbFiles.fingerprint(dir()), "READ_ONLY must not write a byte");
    }

    @Test
    void readOnlyModeOnACrashImageReplaysTheLogWithoutChangingAnyFile() {
        KeelDb db = open();
        long id = insert(db, "Person", person("a", 1));
        insert(db, "Person", person("b", 2));
        Path image = crashImage(db, "crash");
        Map<String, String> before = DbFiles.fingerprint(image);
        KeelDb ro = open(image, options().recoveryMode(RecoveryMode.READ_ONLY).build());
        assertTrue(ro.recoveryReport().transactionsReplayed() >= 2, ro.recoveryReport().toString());
        assertReadOnly(ro, id);
        ro.close();
        assertEquals(before, DbFiles.fingerprint(image), "READ_ONLY must not write a byte");
    }

    @Test
    void readOnlyModeOnAMissingDirectoryIsRefused() {
        Path missing = tmp.resolve("missing");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> open(missing, options().recoveryMode(RecoveryMode.READ_ONLY).build()));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertFalse(Files.exists(missing), "nothing created");
    }

    // ---------------------------------------------------------------- checkpoint

    @Test
    void checkpointCoversTheLastCommitAndReopenRecoversEverything() {
        KeelDb db = open();
        for (int i = 0; i < 20; i++) {
            insert(db, "Person", person("p" + i, i));
        }
        db.execute(tx -> tx.delete("Person", 5));
        long lastCommit = db.snapshot().lsn();
        long cp = db.checkpoint();
        assertTrue(cp >= lastCommit, "checkpoint LSN " + cp + " < last commit " + lastCommit);
        assertTrue(Files.exists(dir().resolve(String.format("checkpoint-%016x.kcp", cp))),
                DbFiles.names(dir(), "", "").toString());
        assertEquals(cp, db.checkpoint(), "nothing new: same LSN");
        db.close();
        KeelDb again = open();
        assertEquals(cp, again.recoveryReport().checkpointLsn(), again.recoveryReport().toString());
        assertEquals(19, again.snapshot().count("Person"));
        assertEquals(Optional.empty(), again.snapshot().get("Person", 5));
        assertEquals("p19", get(again, "Person", 20).getText("name"));
    }

    @Test
    void checkpointRetiresLogSegments() {
        KeelDb db = open();
        byte[] payload = new byte[4000];
        for (int i = 0; i < 100; i++) {
            int n = i;
            db.execute(tx -> tx.insert("AllTypes", Map.of("l", (long) n, "bytes", payload)));
        }
        List<String> before = DbFiles.names(dir(), "wal-", ".log");
        assertTrue(before.size() >= 5, "400 KB in 64 KiB segments: " + before);
        db.checkpoint();
        List<String> after = DbFiles.names(dir(), "wal-", ".log");
        assertTrue(after.size() < before.size(), "before " + before + ", after " + after);
        assertTrue(after.size() <= 3, "only the open and the preallocated segment may stay: " + after);
        db.close();
        KeelDb again = open();
        assertEquals(100, again.snapshot().count("AllTypes"));
        assertEquals(99L, get(again, "AllTypes", 100).getLong("l"));
    }

    @Test
    void automaticCheckpointsRetireLogSegments() throws Exception {
        KeelDb db = open(options().checkpointLogSizeInBytes(64 * 1024).build());
        byte[] payload = new byte[4000];
        for (int i = 0; i < 200; i++) {
            db.execute(tx -> tx.insert("AllTypes", Map.of("bytes", payload)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (DbFiles.names(dir(), "checkpoint-", ".kcp").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(DbFiles.names(dir(), "checkpoint-", ".kcp").isEmpty(), "800 KB of log and no checkpoint");
        assertTrue(DbFiles.names(dir(), "wal-", ".log").size() < 10, DbFiles.names(dir(), "wal-", ".log").toString());
        KeelDb image = open(crashImage(db, "crash"), options().build());
        assertEquals(200, image.snapshot().count("AllTypes"));
    }

    @Test
    void leftoverCheckpointTempFileIsRemovedOnOpenAndReported() throws IOException {
        KeelDb db = open();
        insert(db, "Person", person("a", 1));
        db.close();
        Path temp = dir().resolve("checkpoint-00000000000000ff.kcp.tmp");
        Files.write(temp, "half a checkpoint".getBytes(StandardCharsets.UTF_8));
        KeelDb again = open();
        assertFalse(Files.exists(temp), "temp file removed");
        List<RecoveryReport.Event> events = again.recoveryReport().events();
        assertEquals(1, events.size(), events.toString());
        assertEquals(RecoveryReport.EventKind.TEMP_FILE_REMOVED, events.get(0).kind());
        assertEquals(temp.getFileName(), events.get(0).file().getFileName());
        assertEquals(1, again.snapshot().count("Person"));
        again.close();
        KeelDb third = open();
        assertTrue(third.recoveryReport().clean(), third.recoveryReport().toString());
    }

    @Test
    void cleanCloseAndReopenReportsNothing() {
        KeelDb db = open();
        insert(db, "Person", person("a", 1));
        db.close();
        KeelDb again = open();
        RecoveryReport r = again.recoveryReport();
        assertTrue(r.clean(), r.toString());
        assertEquals(RecoveryMode.NORMAL, r.mode());
        assertEquals(0, r.transactionsRolledBack());
        assertNotNull(r.checkpointFile());
    }

    // ---------------------------------------------------------------- durability modes

    static void writeWorkload(KeelDb db, Map<Long, Long> expected) {
        for (int i = 0; i < 60; i++) {
            long value = i;
            if (i % 10 == 9) {
                long victim = expected.keySet().iterator().next();
                db.execute(tx -> tx.delete("Counter", victim));
                expected.remove(victim);
            } else if (i % 5 == 4) {
                long target = expected.keySet().stream().skip(expected.size() / 2).findFirst().orElseThrow();
                db.execute(tx -> tx.update("Counter", target, Map.of("value", -value)));
                expected.put(target, -value);
            } else {
                expected.put(db.write(tx -> tx.insert("Counter", Map.of("value", value))), value);
            }
        }
    }

    static void assertWorkload(KeelDb db, Map<Long, Long> expected, String where) {
        Map<Long, Long> actual = new java.util.TreeMap<>();
        db.snapshot().scan("Counter").forEach(e -> actual.put(e.id(), e.getLong("value")));
        assertEquals(new java.util.TreeMap<>(expected), actual, where);
    }

    @ParameterizedTest
    @EnumSource(Durability.class)
    void everyModeKeepsEveryCommitAcrossCleanCloseAndReopen(Durability mode) {
        Map<Long, Long> expected = new LinkedHashMap<>();
        KeelDb db = open(options().durability(mode).build());
        writeWorkload(db, expected);
        assertWorkload(db, expected, mode + " before close");
        db.close();
        KeelDb again = open(options().build());
        assertWorkload(again, expected, mode + " after close and reopen");
    }

    @ParameterizedTest
    @EnumSource(Durability.class)
    void everyModeKeepsEveryAcknowledgedCommitWhenTheProcessDies(Durability mode) {
        Map<Long, Long> expected = new LinkedHashMap<>();
        KeelDb db = open(options().durability(mode).build());
        writeWorkload(db, expected);
        KeelDb image = open(crashImage(db, "crash"), options().build());
        assertWorkload(image, expected, mode + ": a killed process loses nothing acknowledged (Durability javadoc)");
    }

    // ---------------------------------------------------------------- closed

    @Test
    void callsAfterCloseThrowDatabaseClosedAndCloseIsIdempotent() {
        KeelDb db = open();
        long id = insert(db, "Person", person("a", 1));
        Snapshot before = db.snapshot();
        Transaction open = db.begin();
        open.insert("Person", person("b", 2));
        db.close();
        assertDoesNotThrow(db::close);
        assertDoesNotThrow(db::close);
        Function<Snapshot, Long> count = s -> s.count("Person");
        assertEquals(ErrorCode.CLOSED, assertThrows(DatabaseClosedException.class, db::snapshot).code());
        assertThrows(DatabaseClosedException.class, () -> db.read(count));
        assertThrows(DatabaseClosedException.class, () -> db.write(tx -> tx.insert("Person", person("c", 3))));
        assertThrows(DatabaseClosedException.class, () -> db.execute(tx -> tx.delete("Person", id)));
        assertThrows(DatabaseClosedException.class, db::begin);
        assertThrows(DatabaseClosedException.class, db::checkpoint);
        assertThrows(DatabaseClosedException.class, () -> open.insert("Person", person("d", 4)),
                "a transaction begun before close cannot write");
        assertThrows(DatabaseClosedException.class, open::commit, "nor commit");
        assertDoesNotThrow(open::close);
        assertEquals("a", before.get("Person", id).orElseThrow().getText("name"),
                "a snapshot needs no open database");
        KeelDb again = open();
        assertEquals(1, again.snapshot().count("Person"), "the uncommitted insert is not there");
    }
}
