package dev.keel.server.schema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.Index;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.server.schema.SchemaDocument.Format;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * write(read(x)) reads as read(x), and every type a database reports survives write then read
 * ({@link EntityType#equals}), for a schema with every field type, rule, kind of index and rename.
 */
class SchemaRoundTripTest {
    private static final SchemaDocument DOC = new SchemaDocument();

    @TempDir
    Path dir;

    static String rich() {
        try (InputStream in = SchemaRoundTripTest.class.getResourceAsStream("/schema/rich.yaml")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aDocumentSurvivesWriteThenReadInBothFormats() {
        List<EntityType> read = DOC.read(rich(), Format.YAML);
        assertEquals(2, read.size());
        for (Format f : Format.values()) {
            String written = DOC.write(read, f);
            List<EntityType> again = DOC.read(written, f);
            assertEquals(read, again, written);
            // Rename declarations are part of the document too (EntityType.equals ignores them).
            assertEquals("People", again.get(1).renamedFromName());
            assertEquals("grade", again.get(1).field("level").orElseThrow().renamedFromName());
            assertEquals("nickname", again.get(1).field("nick").orElseThrow().renamedFromName());
            assertEquals(written, DOC.write(again, f), "writing is deterministic");
        }
    }

    @Test
    void everyTypeTheDatabaseReportsSurvivesWriteThenRead() {
        List<EntityType> declared = DOC.read(rich(), Format.YAML);
        KeelOptions.Builder options = KeelOptions.builder();
        declared.forEach(options::entityType);
        try (KeelDb db = KeelDb.open(dir.resolve("db"), options.build())) {
            List<EntityType> stored = db.schema();
            assertEquals(declared, stored);
            for (EntityType t : stored) {
                assertEquals(List.of(t), DOC.read(DOC.write(List.of(t), Format.JSON), Format.JSON));
                assertEquals(List.of(t), DOC.read(DOC.write(List.of(t), Format.YAML), Format.YAML));
            }
            assertEquals(stored, DOC.read(DOC.write(stored, Format.JSON), Format.JSON));
        }
    }

    @Test
    void implicitIndexesAreLeftOutButDeclaredOnesAreKept() throws Exception {
        List<EntityType> read = DOC.read(rich(), Format.YAML);
        JsonNode person = new ObjectMapper().readTree(DOC.write(read, Format.JSON)).get("types").get(1);
        List<String> written = new java.util.ArrayList<>();
        person.get("indexes").forEach(i -> written.add(i.get("name").asText()));
        // unique_email, unique_born, unique_photo, ref_mentor and ref_manager are implicit; unique_nick is
        // declared (nick is not a unique field), by_height_born got its default name.
        assertEquals(List.of("by_age", "by_email_age", "by_employer_age", "by_height_born", "unique_nick"), written);
        assertEquals(List.of("by_age", "by_email_age", "by_employer_age", "by_height_born", "unique_nick",
                "unique_email", "unique_born", "unique_photo", "ref_mentor", "ref_manager"),
                read.get(1).indexes().stream().map(Index::name).toList());
    }

    @Test
    void anImplicitLookingIndexDeclaredFirstIsWrittenWithAllOthers() {
        // Declared before by_b, unique_a is not where keel-core would put the implicit one: leaving it out
        // would change the order, so every index is written.
        EntityType t = EntityType.builder("T").field(Field.intField("a").unique()).field(Field.intField("b"))
                .index(Index.unique("a")).index("b").build();
        assertEquals(List.of("unique_a", "by_b"), SchemaWriter.declaredIndexes(t).stream().map(Index::name).toList());
        assertEquals(List.of(t), DOC.read(DOC.write(List.of(t), Format.JSON), Format.JSON));
        EntityType plain = EntityType.builder("T").field(Field.intField("a").unique()).field(Field.intField("b"))
                .index("b").build();
        assertEquals(List.of("by_b"), SchemaWriter.declaredIndexes(plain).stream().map(Index::name).toList());
    }

    @Test
    void specialValuesSurviveExactly() {
        long seed = Long.getLong("keel.test.seed", System.nanoTime());
        Random random = new Random(seed);
        float[] vector = new float[2000];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = switch (i % 4) {
                case 0 -> Float.intBitsToFloat(random.nextInt());
                case 1 -> random.nextFloat() * 1e-40f;
                case 2 -> (float) random.nextGaussian();
                default -> Float.intBitsToFloat(random.nextInt() & 0x007fffff);
            };
            if (Float.isNaN(vector[i])) {
                vector[i] = Float.NaN;
            }
        }
        EntityType t = EntityType.builder("T")
                .field(Field.vector("v").defaultValue(vector))
                .field(Field.doubleField("negativeZero").defaultValue(-0.0))
                .field(Field.doubleField("tiny").min(Double.MIN_VALUE).max(Double.MAX_VALUE))
                .field(Field.doubleField("nan").defaultValue(Double.NaN))
                .field(Field.timestamp("ts").defaultValue(java.time.Instant.ofEpochSecond(-1, 999_999_999)))
                .field(Field.bytes("b").defaultValue(new byte[] {0, -1, 127, -128}))
                .field(Field.text("s").defaultValue("\u00e9\ud83d\ude00 \"quoted\" \n yes"))
                .field(Field.text("yes").oneOf("yes", "no", "on", "null", "1", "~"))
                .build();
        for (Format f : Format.values()) {
            EntityType back = DOC.read(DOC.write(List.of(t), f), f).get(0);
            assertEquals(t, back, "seed " + seed + ", " + f);
            float[] v = (float[]) back.field("v").orElseThrow().defaultValue();
            for (int i = 0; i < vector.length; i++) {
                assertEquals(Float.floatToIntBits(vector[i]), Float.floatToIntBits(v[i]), "seed " + seed + " element " + i);
            }
            assertEquals(Double.doubleToRawLongBits(-0.0),
                    Double.doubleToRawLongBits((Double) back.field("negativeZero").orElseThrow().defaultValue()));
            assertArrayEquals(new byte[] {0, -1, 127, -128}, (byte[]) back.field("b").orElseThrow().defaultValue());
        }
    }

    @Test
    void writtenFieldsListOnlyWhatTheyHave() throws Exception {
        EntityType t = EntityType.builder("T").field(Field.text("a")).field(Field.reference("r", "T")).build();
        JsonNode fields = new ObjectMapper().readTree(DOC.write(List.of(t), Format.JSON)).get("types").get(0)
                .get("fields");
        assertEquals("{\"name\":\"a\",\"type\":\"TEXT\"}", fields.get(0).toString());
        assertEquals("{\"name\":\"r\",\"type\":\"REFERENCE\",\"target\":\"T\",\"onDelete\":\"RESTRICT\"}",
                fields.get(1).toString());
        JsonNode type = new ObjectMapper().readTree(DOC.write(List.of(t), Format.JSON)).get("types").get(0);
        assertFalse(type.has("indexes"), type.toString());
        assertNull(type.get("renamedFrom"));
        assertTrue(DOC.write(List.of(), Format.YAML).contains("types: []"), DOC.write(List.of(), Format.YAML));
    }
}
