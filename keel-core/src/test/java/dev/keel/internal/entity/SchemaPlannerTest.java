package dev.keel.internal.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.SchemaMismatchException;
import dev.keel.internal.codec.ByteReader;
import dev.keel.internal.codec.ByteWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SchemaPlannerTest {
    static final EntityType A = EntityType.builder("A").requiredField("x", FieldType.TEXT).field("y", FieldType.LONG)
            .build();

    static Schema v1() {
        return SchemaPlanner.plan(Schema.EMPTY, List.of(A)).requireCompatible().target();
    }

    @Test
    void unchangedDeclarationKeepsTheStoredSchema() {
        Schema s = v1();
        assertEquals(1, s.version());
        SchemaPlanner.Plan p = SchemaPlanner.plan(s, List.of(A));
        assertSame(s, p.target());
        assertEquals(List.of(), p.changes());
    }

    @Test
    void renamesKeepIdsAndDroppedFieldIdsAreNeverReused() {
        Schema s = v1();
        EntityType renamed = EntityType.builder("B").renamedFrom("A")
                .field(Field.text("name").renamedFrom("x").required()).build();
        Schema s2 = SchemaPlanner.plan(s, List.of(renamed)).requireCompatible().target();
        StoredType b = s2.byName("B");
        assertEquals(s.byName("A").typeId(), b.typeId());
        assertEquals(1, b.fieldId(0));
        assertEquals(3, b.nextFieldId(), "y's id 2 stays used");
        EntityType again = EntityType.builder("B").requiredField("name", FieldType.TEXT).field("y", FieldType.LONG)
                .build();
        Schema s3 = SchemaPlanner.plan(s2, List.of(again)).requireCompatible().target();
        assertEquals(3, s3.byName("B").fieldId(1), "a re-added field gets a new id");
        assertEquals(3, s3.version());
    }

    @Test
    void tighteningRulesMarksTheTypeForValidation() {
        Schema s = v1();
        EntityType tighter = EntityType.builder("A").requiredField("x", FieldType.TEXT)
                .field(Field.longField("y").min(0L)).build();
        SchemaPlanner.Plan p = SchemaPlanner.plan(s, List.of(tighter)).requireCompatible();
        assertEquals(Set.of(s.byName("A").typeId()), p.toValidate());
    }

    @Test
    void problemsNameTheFix() {
        EntityType narrowed = EntityType.builder("A").requiredField("x", FieldType.TEXT).field(Field.intField("y"))
                .build();
        SchemaMismatchException e = assertThrows(SchemaMismatchException.class,
                () -> SchemaPlanner.plan(v1(), List.of(narrowed)).requireCompatible());
        assertTrue(e.problems().get(0).contains("Declare it as LONG"), e.getMessage());
        Schema withStep = v1().withStep(new Schema.StepState("fill", 1, 7, false));
        SchemaPlanner.Plan p = SchemaPlanner.plan(withStep, List.of(A), List.of());
        assertTrue(p.problems().get(0).contains("declare it again"), p.problems().toString());
        assertEquals(List.of(), SchemaPlanner.plan(withStep, List.of(A), List.of("fill")).problems());
    }

    @Test
    void schemaCodecRoundTripsStepState() {
        Schema s = v1().withStep(new Schema.StepState("fill", 1, 1234, false))
                .withStep(new Schema.StepState("other", 1, 99, true))
                .withStep(new Schema.StepState("fill", 1, 2000, true));
        ByteWriter out = new ByteWriter(64);
        SchemaCodec.encode(s, out);
        Schema back = SchemaCodec.decode(new ByteReader(out.toByteArray()));
        assertEquals(s.steps(), back.steps());
        assertEquals(List.of(new Schema.StepState("fill", 1, 2000, true), new Schema.StepState("other", 1, 99, true)),
                back.steps());
        assertEquals(s.version(), back.version());
        assertEquals(s.entityTypes(), back.entityTypes());
    }

    @Test
    void converterWidensDropsAndFillsDefaults() {
        Schema s = v1();
        EntityType v2 = EntityType.builder("A").requiredField("x", FieldType.TEXT)
                .field(Field.doubleField("y")).field(Field.text("z").defaultValue("d")).build();
        Schema s2 = SchemaPlanner.plan(s, List.of(v2)).requireCompatible().target();
        byte[] old = EntityCodec.encode(s.byName("A"), 5, Map.of("x", "a", "y", 3L), new ByteWriter(64));
        EntityConverter c = new EntityConverter(s.byName("A"), s2.byName("A"));
        byte[] converted = c.convert(1, old);
        assertEquals(Map.of("x", "a", "y", 3.0, "z", "d"), EntityCodec.decodeValues(s2.byName("A"), converted));
        assertEquals(5, EntityCodec.version(converted));
        byte[] inexact = EntityCodec.encode(s.byName("A"), 5, Map.of("x", "a", "y", Long.MAX_VALUE), new ByteWriter(64));
        EntityConverter.ConversionException e = assertThrows(EntityConverter.ConversionException.class,
                () -> c.convert(9, inexact));
        assertTrue(e.getMessage().contains("A#9"), e.getMessage());
    }
}
