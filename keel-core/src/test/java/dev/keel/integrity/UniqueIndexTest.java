package dev.keel.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.ConstraintViolationException;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.Transaction;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G3 for unique fields and unique composite indexes: a taken value is refused at write time naming
 * the entity that has it, and at commit when a concurrent transaction took it first; missing values
 * never collide; values can move between entities inside one transaction; it all holds after a
 * reopen, when the indexes are rebuilt from the data.
 */
class UniqueIndexTest {
    static final EntityType USER = EntityType.builder("User")
            .field(Field.text("email").unique())
            .field(Field.text("tenant").required())
            .field(Field.text("handle").required())
            .uniqueIndex("tenant", "handle")
            .build();

    @TempDir
    Path tmp;

    KeelDb open() {
        return KeelDb.open(tmp.resolve("db"), KeelOptions.builder().entityType(USER).build());
    }

    static Map<String, Object> user(String email, String tenant, String handle) {
        Map<String, Object> m = new HashMap<>();
        if (email != null) {
            m.put("email", email);
        }
        m.put("tenant", tenant);
        m.put("handle", handle);
        return m;
    }

    @Test
    void aTakenValueIsRefusedNamingTheEntityThatHasIt() {
        try (KeelDb db = open()) {
            long ada = db.write(tx -> tx.insert("User", user("ada@x.org", "t1", "ada")));
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                    () -> db.execute(tx -> tx.insert("User", user("ada@x.org", "t1", "other"))));
            assertEquals("unique", e.rule());
            assertEquals("email", e.field());
            assertEquals("\"ada@x.org\"", e.value());
            assertEquals(List.of(ada), e.conflictingIds());
            assertTrue(e.getMessage().contains("already taken by User#" + ada), e.getMessage());

            ConstraintViolationException composite = assertThrows(ConstraintViolationException.class,
                    () -> db.execute(tx -> tx.insert("User", user("b@x.org", "t1", "ada"))));
            assertEquals("tenant,handle", composite.field());
            db.execute(tx -> tx.insert("User", user("c@x.org", "t2", "ada"))); // other tenant: fine
            db.execute(tx -> tx.insert("User", user(null, "t3", "a")));
            db.execute(tx -> tx.insert("User", user(null, "t3", "b"))); // missing emails never collide
            assertEquals(4, db.snapshot().count("User"));
        }
    }

    @Test
    void valuesMoveBetweenEntitiesInOneTransactionAndFreedValuesCanBeReused() {
        try (KeelDb db = open()) {
            long a = db.write(tx -> tx.insert("User", user("a@x.org", "t", "a")));
            long b = db.write(tx -> tx.insert("User", user("b@x.org", "t", "b")));
            db.execute(tx -> {
                tx.update("User", a, Map.of("email", "tmp@x.org"));
                tx.update("User", b, Map.of("email", "a@x.org"));
                tx.update("User", a, Map.of("email", "b@x.org"));
            });
            assertEquals("b@x.org", db.snapshot().get("User", a).orElseThrow().getText("email"));
            db.execute(tx -> tx.delete("User", a));
            db.execute(tx -> tx.insert("User", user("b@x.org", "t", "a")));
            // Two inserts of one value in one transaction: the commit check catches it.
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class, () -> db.execute(tx -> {
                tx.insert("User", user("same@x.org", "t", "s1"));
                tx.insert("User", user("same@x.org", "t", "s2"));
            }));
            assertEquals("unique", e.rule());
            assertEquals(2, db.snapshot().count("User"));
        }
    }

    @Test
    void theFirstOfTwoConcurrentTransactionsWinsTheValue() {
        try (KeelDb db = open()) {
            try (Transaction first = db.begin(); Transaction second = db.begin()) {
                first.insert("User", user("race@x.org", "t", "first"));
                second.insert("User", user("race@x.org", "t", "second"));
                first.commit();
                ConstraintViolationException e = assertThrows(ConstraintViolationException.class, second::commit);
                assertEquals("unique", e.rule());
                assertTrue(e.getMessage().contains("nothing was written"), e.getMessage());
            }
            assertEquals(List.of("first"), db.snapshot().scan("User").map(u -> u.getText("handle")).toList());
        }
    }

    @Test
    void aValueFreedSinceTheTransactionBeganIsAConflictNotAViolation() {
        try (KeelDb db = open()) {
            long ada = db.write(tx -> tx.insert("User", user("ada@x.org", "t", "ada")));
            try (Transaction late = db.begin()) {
                db.execute(tx -> tx.update("User", ada, Map.of("email", "ada@y.org")));
                assertThrows(dev.keel.ConflictException.class, () -> late.insert("User", user("ada@x.org", "t", "new")));
            }
            // With retries the second attempt sees the freed value and succeeds.
            db.execute(tx -> tx.insert("User", user("ada@x.org", "t", "new")));
            assertEquals(2, db.snapshot().count("User"));
        }
    }

    @Test
    void uniquenessHoldsAfterReopenWhenIndexesAreRebuilt() {
        try (KeelDb db = open()) {
            for (int i = 0; i < 1000; i++) {
                int n = i;
                db.execute(tx -> tx.insert("User", user("u" + n + "@x.org", "t", "u" + n)));
            }
        }
        try (KeelDb db = open()) {
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                    () -> db.execute(tx -> tx.insert("User", user("u500@x.org", "t", "new"))));
            assertEquals(List.of(501L), e.conflictingIds());
            db.execute(tx -> tx.insert("User", user("u1000@x.org", "t", "u1000")));
        }
    }
}
