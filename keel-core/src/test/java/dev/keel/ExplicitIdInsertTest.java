package dev.keel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Transaction#insert(String, long, Map)}: ids chosen by the caller, as import needs them. */
class ExplicitIdInsertTest {
    static final EntityType ITEM = EntityType.builder("Item").requiredField("name", FieldType.TEXT).build();

    @TempDir
    Path tmp;

    KeelDb open() {
        return KeelDb.open(tmp.resolve("db"), KeelOptions.builder().segmentSizeInBytes(64 * 1024).entityType(ITEM).build());
    }

    @Test
    void keepsTheIdAndLaterAssignedIdsAreAboveItAlsoAfterReopen() {
        try (KeelDb db = open()) {
            db.execute(tx -> tx.insert("Item", 1000, Map.of("name", "kept")));
            assertEquals(1001L, (long) db.write(tx -> tx.insert("Item", Map.of("name", "next"))));
        }
        try (KeelDb db = open()) {
            assertEquals("kept", db.snapshot().get("Item", 1000).orElseThrow().getText("name"));
            assertEquals(1002L, (long) db.write(tx -> tx.insert("Item", Map.of("name", "after reopen"))));
        }
    }

    @Test
    void refusesAnExistingIdAndIdsOutOfRangeWithoutWriting() {
        try (KeelDb db = open()) {
            db.execute(tx -> tx.insert("Item", 7, Map.of("name", "first")));
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                    () -> db.execute(tx -> tx.insert("Item", 7, Map.of("name", "second"))));
            assertTrue(e.getMessage().contains("Item#7 already exists"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> db.execute(tx -> tx.insert("Item", 0, Map.of("name", "x"))));
            assertThrows(IllegalArgumentException.class,
                    () -> db.execute(tx -> tx.insert("Item", Long.MAX_VALUE, Map.of("name", "x"))));
            assertEquals("first", db.snapshot().get("Item", 7).orElseThrow().getText("name"));
            assertEquals(1, db.snapshot().count("Item"));
        }
    }

    @Test
    void anAssignedIdTakenMeanwhileByAnExplicitInsertIsAConflictNotAnOverwrite() {
        try (KeelDb db = open()) {
            try (Transaction fresh = db.begin()) {
                long id = fresh.insert("Item", Map.of("name", "assigned"));
                db.execute(tx -> tx.insert("Item", id, Map.of("name", "explicit")));
                assertThrows(ConflictException.class, fresh::commit);
                assertEquals("explicit", db.snapshot().get("Item", id).orElseThrow().getText("name"));
            }
        }
    }

    @Test
    void twoExplicitInsertsOfTheSameIdConflict() {
        try (KeelDb db = open()) {
            try (Transaction a = db.begin(); Transaction b = db.begin()) {
                a.insert("Item", 5, Map.of("name", "a"));
                b.insert("Item", 5, Map.of("name", "b"));
                a.commit();
                assertThrows(ConflictException.class, b::commit);
            }
            assertEquals("a", db.snapshot().get("Item", 5).orElseThrow().getText("name"));
        }
    }

    @Test
    void theHighestIdExhaustsAssignedIdsWithoutWrappingOrBreakingTheCheckpoint() {
        try (KeelDb db = open()) {
            db.execute(tx -> tx.insert("Item", Long.MAX_VALUE - 1, Map.of("name", "top")));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> db.execute(tx -> tx.insert("Item", Map.of("name", "one more"))));
            assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> db.execute(tx -> tx.insert("Item", Map.of("name", "again"))));
            db.execute(tx -> tx.insert("Item", 3, Map.of("name", "explicit still works")));
            db.checkpoint();
        }
        try (KeelDb db = open()) {
            assertEquals(2, db.snapshot().count("Item"), "the checkpoint reads back: " + db.recoveryReport());
            assertEquals("top", db.snapshot().get("Item", Long.MAX_VALUE - 1).orElseThrow().getText("name"));
            assertThrows(IllegalStateException.class, () -> db.execute(tx -> tx.insert("Item", Map.of("name", "x"))));
        }
    }
}
