package dev.keel.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.ConstraintViolationException;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.Length;
import dev.keel.Matches;
import dev.keel.Max;
import dev.keel.Min;
import dev.keel.OneOf;
import dev.keel.OnDelete;
import dev.keel.Required;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G3 for value rules: required, min/max, length, pattern and oneOf are checked on every insert and
 * update, the error names type, field, value and rule, and nothing of a refused write is stored
 * (also after a reopen). Declaring an impossible rule is refused at declaration.
 */
class FieldRulesTest {
    static final EntityType ACCOUNT = EntityType.builder("Account")
            .field(Field.text("email").required().pattern("[^@ ]+@[^@ ]+").maxLength(40))
            .field(Field.intField("age").min(0).max(150))
            .field(Field.doubleField("score").min(-1.0).max(1.0))
            .field(Field.timestamp("born").min(Instant.parse("1900-01-01T00:00:00Z")))
            .field(Field.text("plan").oneOf("free", "pro", "team").defaultValue("free"))
            .field(Field.bytes("avatar").length(1, 4))
            .field(Field.vector("embedding").length(3, 3))
            .field(Field.text("nick").length(2, 5))
            .build();

    @TempDir
    Path tmp;

    KeelDb open() {
        return KeelDb.open(tmp.resolve("db"), KeelOptions.builder().entityType(ACCOUNT).build());
    }

    static Map<String, Object> valid() {
        Map<String, Object> v = new HashMap<>();
        v.put("email", "ada@example.org");
        v.put("age", 36);
        v.put("score", 0.5);
        v.put("born", Instant.parse("1815-12-10T00:00:00Z").plusSeconds(100L * 365 * 86400));
        v.put("avatar", new byte[] {1, 2});
        v.put("embedding", new float[] {1, 2, 3});
        v.put("nick", "ada");
        return v;
    }

    static Map<String, Object> with(String field, Object value) {
        Map<String, Object> v = valid();
        v.put(field, value);
        return v;
    }

    void assertBroken(KeelDb db, Map<String, Object> values, String field, String rule, String valueText) {
        long before = db.snapshot().count("Account");
        ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                () -> db.execute(tx -> tx.insert("Account", values)));
        assertEquals("Account", e.type(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
        assertEquals(rule, e.rule(), e.getMessage());
        assertEquals(valueText, e.value(), e.getMessage());
        assertTrue(e.getMessage().startsWith("[CONSTRAINT_VIOLATION] Account." + field), e.getMessage());
        assertTrue(e.getMessage().contains(rule), e.getMessage());
        assertEquals(before, db.snapshot().count("Account"), "nothing stored");
    }

    @Test
    void everyRuleIsCheckedOnInsertNamingTypeFieldValueAndRule() {
        try (KeelDb db = open()) {
            long ok = db.write(tx -> tx.insert("Account", valid()));
            assertEquals("free", db.snapshot().get("Account", ok).orElseThrow().getText("plan"), "default applied");
            assertBroken(db, with("age", -1), "age", "min", "-1");
            assertBroken(db, with("age", 151), "age", "max", "151");
            assertBroken(db, with("score", 1.5), "score", "max", "1.5");
            assertBroken(db, with("born", Instant.parse("1899-12-31T23:59:59Z")), "born", "min", "1899-12-31T23:59:59Z");
            assertBroken(db, with("email", "not an address"), "email", "pattern", "\"not an address\"");
            assertBroken(db, with("email", "a".repeat(35) + "@b.org"), "email", "length", "\"" + "a".repeat(35) + "@b.org\"");
            assertBroken(db, with("plan", "gold"), "plan", "oneOf", "\"gold\"");
            assertBroken(db, with("avatar", new byte[0]), "avatar", "length", "bytes[0]");
            assertBroken(db, with("avatar", new byte[5]), "avatar", "length", "bytes[5]");
            assertBroken(db, with("embedding", new float[] {1, 2}), "embedding", "length", "[1.0, 2.0]");
            assertBroken(db, with("nick", "a"), "nick", "length", "\"a\"");
            assertBroken(db, with("age", "36"), "age", "type", "\"36\"");
            Map<String, Object> noEmail = valid();
            noEmail.remove("email");
            assertBroken(db, noEmail, "email", "required", null);
            // Code points, not UTF-16 units: five emoji are five long.
            db.execute(tx -> tx.insert("Account", with("nick", "\uD83D\uDE00".repeat(5))));
            assertEquals(2, db.snapshot().count("Account"));
        }
    }

    @Test
    void updatesAreCheckedAndARefusedUpdateChangesNothingAlsoAfterReopen() {
        long id;
        try (KeelDb db = open()) {
            id = db.write(tx -> tx.insert("Account", valid()));
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                    () -> db.execute(tx -> tx.update("Account", id, Map.of("age", 200, "nick", "grace"))));
            assertEquals("max", e.rule());
            db.execute(tx -> tx.update("Account", id, Map.of("age", 37)));
        }
        try (KeelDb db = open()) {
            assertEquals(37, db.snapshot().get("Account", id).orElseThrow().get("age"));
            assertEquals("ada", db.snapshot().get("Account", id).orElseThrow().getText("nick"));
        }
    }

    @Test
    void impossibleDeclarationsAreRefusedWithTheReason() {
        assertMessage("min/max apply to INT, LONG, DOUBLE and TIMESTAMP", () -> Field.text("t").min(1));
        assertMessage("length applies to TEXT, BYTES and VECTOR", () -> Field.longField("n").maxLength(3));
        assertMessage("pattern applies to TEXT", () -> Field.longField("n").pattern("x"));
        assertMessage("pattern does not compile", () -> Field.text("t").pattern("("));
        assertMessage("min 5 is above max 1", () -> Field.longField("n").min(5L).max(1L));
        assertMessage("length must be 0 <= min <= max", () -> Field.text("t").length(3, 2));
        assertMessage("default \"x\" breaks its own rule: oneOf", () -> Field.text("t").oneOf("a", "b").defaultValue("x"));
        assertMessage("lists \"a\" twice", () -> Field.text("t").oneOf("a", "a"));
        assertMessage("SET_NULL could not clear it", () -> Field.reference("r", "T").required().onDelete(OnDelete.SET_NULL));
        assertMessage("SET_NULL could not clear it", () -> Field.reference("r", "T").onDelete(OnDelete.SET_NULL).required());
        assertMessage("only REFERENCE fields have a target", () -> Field.text("t").onDelete(OnDelete.CASCADE));
        assertMessage("VECTOR fields cannot be unique", () -> Field.vector("v").unique());
        assertMessage("min of field n (INT) must be INT", () -> Field.intField("n").min(1L));
    }

    static void assertMessage(String expected, Runnable declaration) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, declaration::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    public record Member(@Required @Matches("[a-z]+") @Length(min = 2, max = 8) String handle, @Min(18) @Max(99) int age,
            @OneOf({"red", "blue"}) String team) {
    }

    @Test
    void recordAnnotationsDeclareTheSameRules() {
        EntityType t = EntityType.of(Member.class);
        assertEquals(Field.text("handle").required().pattern("[a-z]+").length(2, 8), t.field("handle").orElseThrow());
        assertEquals(Field.intField("age").required().min(18).max(99), t.field("age").orElseThrow());
        assertEquals(Field.text("team").oneOf("red", "blue"), t.field("team").orElseThrow());
        try (KeelDb db = KeelDb.open(tmp.resolve("members"), KeelOptions.builder().entityType(t).build())) {
            db.execute(tx -> tx.insert(new Member("ada", 36, "red")));
            ConstraintViolationException e = assertThrows(ConstraintViolationException.class,
                    () -> db.execute(tx -> tx.insert(new Member("ada", 17, "red"))));
            assertEquals("min", e.rule());
            assertEquals(1, db.snapshot().count("Member"));
        }
    }
}
