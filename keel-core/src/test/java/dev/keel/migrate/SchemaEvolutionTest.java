package dev.keel.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.Query;
import dev.keel.Entity;
import dev.keel.ConstraintViolationException;
import dev.keel.EntityType;
import dev.keel.ErrorCode;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.Index;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.MigrationException;
import dev.keel.RecoveryReport;
import dev.keel.SchemaMismatchException;
import dev.keel.testutil.DbFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every compatible and incompatible schema change, each run twice: with the data written under
 * the old schema checkpointed (a clean close) and with it only in the log (a crash image of the
 * still-open database, which has no checkpoint).
 */
class SchemaEvolutionTest {

    /** Where the old schema's data is when the schema changes. */
    enum Where {
        CHECKPOINTED, LOG_ONLY
    }

    @TempDir
    Path tmp;

    static final EntityType PERSON = EntityType.builder("Person")
            .requiredField("name", FieldType.TEXT)
            .field("age", FieldType.LONG)
            .build();

    static KeelOptions options(EntityType... types) {
        return KeelOptions.builder().segmentSizeInBytes(64 * 1024).entityTypes(types).build();
    }

    /** A database with {@code writes} done under {@code old}, left as {@code where} says. */
    Path prepare(Where where, Consumer<KeelDb> writes, EntityType... old) {
        Path dir = tmp.resolve("db");
        KeelDb db = KeelDb.open(dir, options(old));
        try {
            writes.accept(db);
            if (where == Where.LOG_ONLY) {
                Path image = tmp.resolve("crash-image");
                DbFiles.copy(dir, image);
                return image;
            }
        } finally {
            db.close();
        }
        return dir;
    }

    static long insert(KeelDb db, String type, Map<String, ?> values) {
        return db.write(tx -> tx.insert(type, values));
    }

    static void people(KeelDb db) {
        insert(db, "Person", Map.of("name", "ann", "age", 31L));
        insert(db, "Person", Map.of("name", "bob", "age", 42L));
    }

    /** Opens with {@code types}, checks where the old data came from, runs {@code check}, closes and reopens. */
    void migrate(Path dir, Where where, Consumer<KeelDb> check, EntityType... types) {
        try (KeelDb db = KeelDb.open(dir, options(types))) {
            RecoveryReport r = db.recoveryReport();
            assertEquals(where == Where.CHECKPOINTED, r.checkpointLsn() > 0, r.toString());
            assertTrue(r.clean(), r.toString());
            check.accept(db);
        }
        try (KeelDb db = KeelDb.open(dir, options(types))) {
            assertEquals(0, db.recoveryReport().count(RecoveryReport.EventKind.RECORD_MIGRATED),
                    "the migrated state was checkpointed on close");
            check.accept(db);
        }
    }

    /** The directory's fingerprint without the lock file (which names the last process that opened it). */
    static Map<String, String> files(Path dir) {
        Map<String, String> f = new java.util.TreeMap<>(DbFiles.fingerprint(dir));
        f.remove("keel.lock");
        return f;
    }

    static Map<String, Object> values(KeelDb db, String type, long id) {
        return db.snapshot().get(type, id).orElseThrow().values();
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void addFieldWithDefault(Where where) {
        Path dir = prepare(where, SchemaEvolutionTest::people, PERSON);
        EntityType v2 = EntityType.builder("Person").requiredField("name", FieldType.TEXT).field("age", FieldType.LONG)
                .field(Field.text("city").defaultValue("Oslo").required()).build();
        migrate(dir, where, db -> {
            assertEquals(Map.of("name", "ann", "age", 31L, "city", "Oslo"), values(db, "Person", 1));
            assertEquals("Oslo", values(db, "Person", 2).get("city"));
            assertEquals(List.of(v2), db.schema());
        }, v2);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void addNullableField(Where where) {
        Path dir = prepare(where, SchemaEvolutionTest::people, PERSON);
        EntityType v2 = EntityType.builder("Person").requiredField("name", FieldType.TEXT).field("age", FieldType.LONG)
                .field("nick", FieldType.TEXT).build();
        migrate(dir, where, db -> {
            assertEquals(Map.of("name", "ann", "age", 31L), values(db, "Person", 1));
            long id = insert(db, "Person", Map.of("name", "cy", "nick", "c"));
            assertEquals("c", values(db, "Person", id).get("nick"));
            db.write(tx -> tx.delete("Person", id));
        }, v2);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void dropField(Where where) {
        Path dir = prepare(where, SchemaEvolutionTest::people, PERSON);
        EntityType v2 = EntityType.builder("Person").requiredField("name", FieldType.TEXT).build();
        migrate(dir, where, db -> assertEquals(Map.of("name", "bob"), values(db, "Person", 2)), v2);
        // Declaring the field again adds a new field (a new id): the dropped values do not come back.
        try (KeelDb db = KeelDb.open(dir, options(PERSON))) {
            assertEquals(Map.of("name", "bob"), values(db, "Person", 2));
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void renameField(Where where) {
        Path dir = prepare(where, SchemaEvolutionTest::people, PERSON);
        EntityType v2 = EntityType.builder("Person").requiredField("name", FieldType.TEXT)
                .field(Field.longField("years").renamedFrom("age")).build();
        migrate(dir, where, db -> assertEquals(Map.of("name", "bob", "years", 42L), values(db, "Person", 2)), v2);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void renameType(Where where) {
        Path dir = prepare(where, SchemaEvolutionTest::people, PERSON);
        EntityType v2 = EntityType.builder("Human").renamedFrom("Person").requiredField("name", FieldType.TEXT)
                .field("age", FieldType.LONG).build();
        migrate(dir, where, db -> {
            assertEquals(2, db.snapshot().count("Human"));
            assertEquals(Map.of("name", "ann", "age", 31L), values(db, "Human", 1));
            assertEquals(List.of("Human"), db.schema().stream().map(EntityType::name).toList());
            long id = insert(db, "Human", Map.of("name", "cy"));
            assertTrue(id > 2, "ids continue after the rename");
            db.write(tx -> tx.delete("Human", id));
        }, v2);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void widenIntToLong(Where where) {
        EntityType v1 = EntityType.builder("Item").field(Field.intField("n")).build();
        Path dir = prepare(where, db -> insert(db, "Item", Map.of("n", Integer.MIN_VALUE)), v1);
        EntityType v2 = EntityType.builder("Item").field(Field.longField("n")).build();
        migrate(dir, where, db -> {
            assertEquals((long) Integer.MIN_VALUE, values(db, "Item", 1).get("n"));
            long id = insert(db, "Item", Map.of("n", Long.MAX_VALUE));
            db.write(tx -> tx.delete("Item", id));
        }, v2);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void widenLongToDouble(Where where) {
        EntityType v1 = EntityType.builder("Item").field(Field.longField("n")).build();
        Path dir = prepare(where, db -> insert(db, "Item", Map.of("n", 1L << 53)), v1);
        EntityType v2 = EntityType.builder("Item").field(Field.doubleField("n")).build();
        migrate(dir, where, db -> assertEquals((double) (1L << 53), values(db, "Item", 1).get("n")), v2);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void widenLongToDoubleFailsOnAnInexactValueNamingTheEntity(Where where) {
        EntityType v1 = EntityType.builder("Item").field(Field.longField("n")).build();
        Path dir = prepare(where, db -> {
            insert(db, "Item", Map.of("n", 7L));
            insert(db, "Item", Map.of("n", (1L << 53) + 1));
        }, v1);
        Map<String, String> before = files(dir);
        EntityType v2 = EntityType.builder("Item").field(Field.doubleField("n")).build();
        MigrationException e = assertThrows(MigrationException.class, () -> KeelDb.open(dir, options(v2)));
        assertEquals(ErrorCode.SCHEMA_MISMATCH, e.code());
        assertTrue(e.getMessage().contains("Item#2") && e.getMessage().contains(String.valueOf((1L << 53) + 1)),
                e.getMessage());
        assertEquals(before, files(dir), "nothing written");
        try (KeelDb db = KeelDb.open(dir, options(v1))) {
            assertEquals((1L << 53) + 1, values(db, "Item", 2).get("n"), "the old declaration still opens it");
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void widenTextMaxLength(Where where) {
        EntityType v1 = EntityType.builder("Tag").field(Field.text("label").maxLength(5)).build();
        Path dir = prepare(where, db -> insert(db, "Tag", Map.of("label", "short")), v1);
        EntityType v2 = EntityType.builder("Tag").field(Field.text("label").maxLength(10)).build();
        migrate(dir, where, db -> {
            assertEquals("short", values(db, "Tag", 1).get("label"));
            long id = insert(db, "Tag", Map.of("label", "longer one"));
            db.write(tx -> tx.delete("Tag", id));
        }, v2);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void addConstraintThatTheDataSatisfies(Where where) {
        Path dir = prepare(where, SchemaEvolutionTest::people, PERSON);
        EntityType v2 = EntityType.builder("Person").requiredField("name", FieldType.TEXT)
                .field(Field.longField("age").min(0L).max(150L).required()).build();
        migrate(dir, where, db -> {
            assertEquals(31L, values(db, "Person", 1).get("age"));
            assertThrows(dev.keel.ConstraintViolationException.class,
                    () -> insert(db, "Person", Map.of("name", "x", "age", -1L)));
        }, v2);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void addConstraintThatTheDataBreaksFailsNamingTheEntitiesAndWritesNothing(Where where) {
        Path dir = prepare(where, db -> {
            people(db);
            insert(db, "Person", Map.of("name", "cy", "age", -3L));
            insert(db, "Person", Map.of("name", "dee"));
        }, PERSON);
        Map<String, String> before = files(dir);
        EntityType v2 = EntityType.builder("Person").requiredField("name", FieldType.TEXT)
                .field(Field.longField("age").min(0L).required()).build();
        MigrationException e = assertThrows(MigrationException.class, () -> KeelDb.open(dir, options(v2)));
        assertEquals(2, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().get(0).contains("Person#3.age") && e.problems().get(0).contains("min"),
                e.problems().toString());
        assertTrue(e.problems().get(1).contains("Person#4.age") && e.problems().get(1).contains("required"),
                e.problems().toString());
        assertTrue(e.getMessage().contains("2 values"), e.getMessage());
        assertEquals(before, files(dir), "nothing written");
        try (KeelDb db = KeelDb.open(dir, options(PERSON))) {
            assertEquals(4, db.snapshot().count("Person"), "the old declaration still opens it");
            assertEquals(-3L, values(db, "Person", 3).get("age"));
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void addUniqueThatTheDataBreaksFailsNamingBothEntitiesAndWritesNothing(Where where) {
        Path dir = prepare(where, db -> {
            people(db);
            insert(db, "Person", Map.of("name", "ann", "age", 5L));
        }, PERSON);
        Map<String, String> before = files(dir);
        EntityType v2 = EntityType.builder("Person").field(Field.text("name").required().unique())
                .field("age", FieldType.LONG).build();
        MigrationException e = assertThrows(MigrationException.class, () -> KeelDb.open(dir, options(v2)));
        assertTrue(e.problems().get(0).contains("Person#1 and Person#3"), e.problems().toString());
        assertTrue(e.getMessage().contains("nothing was written"), e.getMessage());
        assertEquals(before, files(dir), "nothing written");
        try (KeelDb db = KeelDb.open(dir, options(PERSON))) {
            db.execute(tx -> tx.update("Person", 3, Map.of("name", "ann2")));
        }
        try (KeelDb db = KeelDb.open(dir, options(v2))) {
            assertEquals("unique_name", db.snapshot().explain(Query.on("Person").eq("name", "ann")).index());
            assertEquals(List.of(1L), db.snapshot().query(Query.on("Person").eq("name", "ann")).map(Entity::id).toList());
            assertThrows(ConstraintViolationException.class, () -> insert(db, "Person", Map.of("name", "bob")));
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void addAndDropIndex(Where where) {
        Path dir = prepare(where, SchemaEvolutionTest::people, PERSON);
        EntityType v2 = EntityType.builder("Person").requiredField("name", FieldType.TEXT).field("age", FieldType.LONG)
                .index(Index.on("age").named("by_age")).build();
        migrate(dir, where, db -> {
            assertEquals(List.of(v2), db.schema());
            assertEquals(List.of("by_age"), db.schema().get(0).indexes().stream().map(Index::name).toList());
        }, v2);
        try (KeelDb db = KeelDb.open(dir, options(PERSON))) {
            assertEquals(List.of(), db.schema().get(0).indexes(), "index dropped");
            assertEquals(2, db.snapshot().count("Person"));
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void incompatibleChangesFailListingEachProblemAndWhatToDeclare(Where where) {
        EntityType team = EntityType.builder("Team").requiredField("name", FieldType.TEXT).build();
        EntityType club = EntityType.builder("Club").requiredField("name", FieldType.TEXT).build();
        EntityType member = EntityType.builder("Member").field("age", FieldType.LONG)
                .field(Field.reference("team", "Team")).build();
        Path dir = prepare(where, db -> {
            long t = insert(db, "Team", Map.of("name", "red"));
            insert(db, "Member", Map.of("age", 30L, "team", t));
        }, team, club, member);
        Map<String, String> before = files(dir);
        EntityType bad = EntityType.builder("Member").field(Field.intField("age"))
                .field(Field.reference("team", "Club")).requiredField("since", FieldType.TIMESTAMP).build();
        SchemaMismatchException e = assertThrows(SchemaMismatchException.class,
                () -> KeelDb.open(dir, options(team, club, bad)));
        assertEquals(3, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().get(0).contains("Member.age") && e.problems().get(0).contains("Declare it as LONG"),
                e.problems().get(0));
        assertTrue(e.problems().get(1).contains("Member.team") && e.problems().get(1).contains("Team"),
                e.problems().get(1));
        assertTrue(e.problems().get(2).contains("Member.since") && e.problems().get(2).contains("default"),
                e.problems().get(2));
        assertEquals(before, files(dir), "nothing written");
        try (KeelDb db = KeelDb.open(dir, options(team, club, member))) {
            assertEquals(1, db.snapshot().count("Member"));
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void logRecordsWrittenUnderAnOlderVersionAreReportedAsMigrated(Where where) {
        Path dir = prepare(where, SchemaEvolutionTest::people, PERSON);
        EntityType v2 = EntityType.builder("Person").requiredField("name", FieldType.TEXT).build();
        try (KeelDb db = KeelDb.open(dir, options(v2))) {
            long migrated = db.recoveryReport().count(RecoveryReport.EventKind.RECORD_MIGRATED);
            assertEquals(where == Where.LOG_ONLY ? 1 : 0, migrated, db.recoveryReport().toString());
            if (where == Where.LOG_ONLY) {
                RecoveryReport.Event ev = db.recoveryReport().events().get(0);
                assertTrue(ev.detail().startsWith("2 log records written under schema version 1"), ev.detail());
            }
        }
    }
}
