package dev.keel.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.ConflictException;
import dev.keel.ConstraintViolationException;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.OnDelete;
import dev.keel.Transaction;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G1 and G3 for references: a reference must point at an existing entity when written and at
 * commit; deleting applies CASCADE (recursive, across types, cycles), SET_NULL and RESTRICT in the
 * deleting transaction, and a RESTRICT refusal names how many and which entities refer.
 *
 * <p>Schema: a Team has a lead (Person, SET_NULL); a Person belongs to a Team (CASCADE) and has a
 * mentor (Person, SET_NULL: a self reference); a Task has an owner (Person, CASCADE) and a reviewer
 * (Person, RESTRICT). Team and Person refer to each other: a cycle across two types.
 */
class ForeignKeyTest {
    static final EntityType TEAM = EntityType.builder("Team").field(Field.text("name").required())
            .field(Field.reference("lead", "Person").onDelete(OnDelete.SET_NULL)).build();
    static final EntityType PERSON = EntityType.builder("Person").field(Field.text("name").required())
            .field(Field.reference("team", "Team").required().onDelete(OnDelete.CASCADE))
            .field(Field.reference("mentor", "Person").onDelete(OnDelete.SET_NULL)).build();
    static final EntityType TASK = EntityType.builder("Task").field(Field.text("title").required())
            .field(Field.reference("owner", "Person").required().onDelete(OnDelete.CASCADE))
            .field(Field.reference("reviewer", "Person")).build();

    @TempDir
    Path tmp;

    KeelDb open() {
        return KeelDb.open(tmp.resolve("db"), KeelOptions.builder().entityType(TEAM).entityType(PERSON)
                .entityType(TASK).build());
    }

    static Map<String, Object> values(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void aReferenceToAMissingEntityIsRefusedAtWriteTime() {
        try (KeelDb db = open()) {
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                    () -> db.execute(tx -> tx.insert("Person", values("name", "ada", "team", 42L))));
            assertEquals("reference", e.rule());
            assertEquals("team", e.field());
            assertTrue(e.getMessage().contains("no Team#42 exists"), e.getMessage());
            long team = db.write(tx -> tx.insert("Team", values("name", "core")));
            long ada = db.write(tx -> tx.insert("Person", values("name", "ada", "team", team)));
            assertThrows(ConstraintViolationException.class,
                    () -> db.execute(tx -> tx.update("Person", ada, values("mentor", 999L))));
            // A target inserted earlier in the same transaction counts.
            db.execute(tx -> {
                long t2 = tx.insert("Team", values("name", "new"));
                tx.insert("Person", values("name", "bob", "team", t2));
            });
            assertEquals(2, db.snapshot().count("Person"));
        }
    }

    @Test
    void restrictRefusesNamingHowManyAndWhichAndChangesNothing() {
        try (KeelDb db = open()) {
            long team = db.write(tx -> tx.insert("Team", values("name", "core")));
            long ada = db.write(tx -> tx.insert("Person", values("name", "ada", "team", team)));
            long bob = db.write(tx -> tx.insert("Person", values("name", "bob", "team", team)));
            for (int i = 0; i < 12; i++) {
                int n = i;
                db.execute(tx -> tx.insert("Task", values("title", "t" + n, "owner", bob, "reviewer", ada)));
            }
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                    () -> db.execute(tx -> tx.delete("Person", ada)));
            assertEquals("restrict", e.rule());
            assertEquals("Task", e.type());
            assertEquals("reviewer", e.field());
            assertTrue(e.getMessage().contains("12 Task entities refer to it through Task.reviewer"), e.getMessage());
            assertTrue(e.getMessage().contains("Task#1") && e.getMessage().contains("and 2 more"), e.getMessage());
            assertEquals(10, e.conflictingIds().size());
            assertTrue(db.snapshot().get("Person", ada).isPresent());
            assertEquals(12, db.snapshot().count("Task"));
            // The same delete inside a transaction leaves that transaction as it was.
            try (Transaction tx = db.begin()) {
                tx.update("Person", bob, values("name", "bobby"));
                assertThrows(ConstraintViolationException.class, () -> tx.delete("Person", ada));
                assertTrue(tx.get("Person", ada).isPresent());
                assertEquals("bobby", tx.get("Person", bob).orElseThrow().getText("name"));
                tx.commit();
            }
            // Deleting the team cascades to both people and to the tasks bob owns, whose reviewer is
            // ada: blockers the same delete removes do not block.
            db.execute(tx -> assertTrue(tx.delete("Team", team)));
            assertEquals(0, db.snapshot().count("Person"));
            assertEquals(0, db.snapshot().count("Task"));
        }
    }

    @Test
    void cascadeAndSetNullAcrossThreeTypesWithACycle() {
        long core;
        long other;
        long ada;
        long bob;
        long cyd;
        try (KeelDb db = open()) {
            core = db.write(tx -> tx.insert("Team", values("name", "core")));
            other = db.write(tx -> tx.insert("Team", values("name", "other")));
            ada = db.write(tx -> tx.insert("Person", values("name", "ada", "team", core)));
            bob = db.write(tx -> tx.insert("Person", values("name", "bob", "team", core, "mentor", ada)));
            cyd = db.write(tx -> tx.insert("Person", values("name", "cyd", "team", other, "mentor", bob)));
            long c = core;
            long a = ada;
            long o = other;
            long b = bob;
            long d = cyd;
            db.execute(tx -> {
                tx.update("Team", c, values("lead", a)); // Team -> Person -> Team: the cycle
                tx.update("Team", o, values("lead", b)); // the other team is led by someone in core
                tx.insert("Task", values("title", "bob's", "owner", b, "reviewer", a));
                tx.insert("Task", values("title", "cyd's", "owner", d, "reviewer", d));
            });
            db.execute(tx -> tx.delete("Team", c));
        }
        try (KeelDb db = open()) {
            var s = db.snapshot();
            assertFalse(s.get("Team", core).isPresent());
            assertFalse(s.get("Person", ada).isPresent(), "cascaded from its team");
            assertFalse(s.get("Person", bob).isPresent(), "cascaded from its team");
            assertEquals(List.of("cyd's"), s.scan("Task").map(t -> t.getText("title")).toList(), "bob's task cascaded");
            assertNull(s.get("Person", cyd).orElseThrow().get("mentor"), "mentor set null");
            assertNull(s.get("Team", other).orElseThrow().get("lead"), "lead set null");
            assertEquals("other", s.get("Team", other).orElseThrow().getText("name"));
        }
    }

    static final EntityType LEFT = EntityType.builder("Left").field(Field.text("name"))
            .field(Field.reference("right", "Right").onDelete(OnDelete.CASCADE)).build();
    static final EntityType RIGHT = EntityType.builder("Right").field(Field.text("name"))
            .field(Field.reference("left", "Left").onDelete(OnDelete.CASCADE)).build();
    static final EntityType NODE = EntityType.builder("Node").field(Field.longField("depth"))
            .field(Field.reference("parent", "Node").onDelete(OnDelete.CASCADE)).build();

    @Test
    void cascadeCyclesEndAndLongChainsAreDeletedWhole() {
        try (KeelDb db = KeelDb.open(tmp.resolve("cycles"), KeelOptions.builder().entityType(LEFT).entityType(RIGHT)
                .entityType(NODE).build())) {
            db.execute(tx -> {
                long l = tx.insert("Left", values("name", "l"));
                long r = tx.insert("Right", values("name", "r", "left", l));
                tx.update("Left", l, values("right", r));
                long l2 = tx.insert("Left", values("name", "l2", "right", r));
                tx.insert("Right", values("name", "r2", "left", l2));
            });
            db.execute(tx -> tx.delete("Left", 1));
            assertEquals(0, db.snapshot().count("Left"), "l -> r -> l2 -> r2 and back to l");
            assertEquals(0, db.snapshot().count("Right"));

            long root = db.write(tx -> {
                long first = tx.insert("Node", values("depth", 0L));
                long parent = first;
                for (int d = 1; d < 5_000; d++) {
                    parent = tx.insert("Node", values("depth", (long) d, "parent", parent));
                }
                return first;
            });
            db.execute(tx -> tx.insert("Node", values("depth", 0L)));
            db.execute(tx -> tx.delete("Node", root));
            assertEquals(1, db.snapshot().count("Node"), "the chain of 5,000 went with its root, the other stayed");
        }
    }

    @Test
    void concurrentTransactionsCannotLeaveADanglingReference() {
        try (KeelDb db = open()) {
            long team = db.write(tx -> tx.insert("Team", values("name", "core")));
            long ada = db.write(tx -> tx.insert("Person", values("name", "ada", "team", team)));
            // A new CASCADE referrer committed meanwhile: a conflict; the retry cascades to it.
            try (Transaction deleting = db.begin()) {
                deleting.delete("Team", team);
                db.execute(tx -> tx.insert("Person", values("name", "late", "team", team)));
                assertThrows(ConflictException.class, deleting::commit);
            }
            assertEquals(2, db.snapshot().count("Person"));
            // A new RESTRICT referrer committed meanwhile: a violation.
            long bob = db.write(tx -> tx.insert("Person", values("name", "bob", "team", team)));
            try (Transaction deleting = db.begin()) {
                deleting.delete("Person", bob);
                db.execute(tx -> tx.insert("Task", values("title", "t", "owner", ada, "reviewer", bob)));
                ConstraintViolationException e = assertThrows(ConstraintViolationException.class, deleting::commit);
                assertEquals("restrict", e.rule());
            }
            // The target deleted meanwhile: the reference is refused at commit.
            long cyd = db.write(tx -> tx.insert("Person", values("name", "cyd", "team", team)));
            try (Transaction referring = db.begin()) {
                referring.insert("Task", values("title", "u", "owner", cyd));
                db.execute(tx -> tx.delete("Person", cyd));
                ConstraintViolationException e = assertThrows(ConstraintViolationException.class, referring::commit);
                assertEquals("reference", e.rule());
            }
            // With automatic retries a cascade that conflicts once still completes.
            db.execute(tx -> tx.delete("Team", team));
            assertEquals(0, db.snapshot().count("Person"));
            assertEquals(0, db.snapshot().count("Task"));
        }
    }
}
