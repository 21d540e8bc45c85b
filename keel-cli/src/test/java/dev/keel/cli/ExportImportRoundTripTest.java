package dev.keel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.Entity;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.FieldType;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.RecoveryMode;
import dev.keel.Transaction;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export then import of 100,000 entities of two types covering every field type (INT with bounds; NaN, infinities
 * and -0.0 doubles, non-finite vector elements, nanosecond timestamps, empty and binary bytes,
 * references, text that needs escaping, absent optional fields): the imported database holds
 * exactly the same entities (type, id, every value), and the export has one line per entity.
 */
class ExportImportRoundTripTest {
    static final EntityType COMPANY = EntityType.builder("Company")
            .field(Field.text("name").required())
            .field(Field.timestamp("founded"))
            .field(Field.bytes("logo"))
            .field(Field.doubleField("rating").defaultValue(2.5))
            .field(Field.bool("listed"))
            .build();
    static final EntityType PERSON = EntityType.builder("Person")
            .field(Field.text("name").required())
            .field(Field.longField("age"))
            .field(Field.doubleField("score"))
            .field(Field.bool("active").defaultValue(true))
            .field(Field.timestamp("born"))
            .field(Field.bytes("photo"))
            .field(Field.reference("employer", "Company"))
            .field(Field.vector("embedding"))
            .field(Field.text("note"))
            .field(Field.intField("level").min(-1_000_000).max(1_000_000))
            .build();
    private static final int COMPANIES = 20_000;
    private static final int PEOPLE = 80_000;
    private static final long SEED = Long.getLong("keel.test.seed", 20250131L);
    private static final String[] TEXTS = {"Ada", "Grace \"Amazing\" Hopper", "line\nbreak\ttab", "ünïcødé ✓ 𝄞",
        "back\\slash", "", "\u2028sep\u2029", "{\"json\":1}"};

    @TempDir
    Path tmp;

    @Test
    void hundredThousandEntitiesSurviveExportAndImport() throws IOException {
        System.out.println("seed " + SEED + " (-Dkeel.test.seed=" + SEED + " replays)");
        Path source = tmp.resolve("source");
        long fill = System.nanoTime();
        fill(source, new Random(SEED));
        System.out.printf("filled %d entities in %.2f s%n", COMPANIES + PEOPLE, (System.nanoTime() - fill) / 1e9);

        Path file = tmp.resolve("export.jsonl");
        long start = System.nanoTime();
        Cli.Result export = Cli.run("export", source.toString(), "--output", file.toString());
        long exported = System.nanoTime();
        assertEquals(0, export.exitCode(), export.toString());
        Path target = tmp.resolve("target");
        Cli.Result imported = Cli.run("import", target.toString(), "--input", file.toString(), "--batch-size", "2000");
        long end = System.nanoTime();
        assertEquals(0, imported.exitCode(), imported.toString());
        System.out.printf("100k round trip: export %.2f s, import %.2f s, total %.2f s; export file %d bytes%n",
                (exported - start) / 1e9, (end - exported) / 1e9, (end - start) / 1e9, Files.size(file));
        TestDbs.assertContains(imported.out(), "imported 100,000 entities (Company 20000, Person 80000)");

        checkLines(file);
        assertSameEntities(source, target);
    }

    /** Streaming-friendly: header, then exactly one self-contained JSON object per line per entity. */
    private static void checkLines(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonNode header = Json.LINES.readTree(r.readLine());
            assertEquals("export", header.get("keel").asText());
            assertEquals(2, header.get("format").asInt());
            assertTrue(header.get("lsn").asLong() > 0);
            assertEquals(List.of("Company", "Person"), List.of(header.get("types").get(0).get("name").asText(),
                    header.get("types").get(1).get("name").asText()));
            JsonNode employer = header.get("types").get(1).get("fields").get(6);
            assertEquals("REFERENCE", employer.get("type").asText());
            assertEquals("Company", employer.get("target").asText());
            assertEquals(2.5, header.get("types").get(0).get("fields").get(3).get("default").asDouble());
            JsonNode level = header.get("types").get(1).get("fields").get(9);
            assertEquals("INT", level.get("type").asText());
            assertEquals(-1_000_000, level.get("min").intValue());
            assertEquals(1_000_000, level.get("max").intValue());
            assertEquals("RESTRICT", employer.get("onDelete").asText());
            long lines = 0;
            Set<FieldType> seen = EnumSet.noneOf(FieldType.class);
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines++;
                if (lines % 9973 == 1) {
                    JsonNode e = Json.LINES.readTree(line);
                    assertEquals(Set.of("type", "id", "fields"), toSet(e.fieldNames()));
                    assertFalse(e.get("fields").has("note") && e.get("fields").get("note").isNull(),
                            "absent fields are left out, not null");
                    EntityType type = e.get("type").asText().equals("Company") ? COMPANY : PERSON;
                    e.get("fields").fieldNames().forEachRemaining(n -> seen.add(type.field(n).orElseThrow().type()));
                }
            }
            assertEquals(COMPANIES + PEOPLE, lines, "one line per entity after the header");
            assertEquals(EnumSet.allOf(FieldType.class), seen, "sampled lines cover every field type");
        }
    }

    private static Set<String> toSet(Iterator<String> it) {
        Set<String> s = new java.util.HashSet<>();
        it.forEachRemaining(s::add);
        return s;
    }

    static void assertSameEntities(Path source, Path target) {
        KeelOptions readOnly = KeelOptions.builder().recoveryMode(RecoveryMode.READ_ONLY).build();
        try (KeelDb a = KeelDb.open(source, readOnly); KeelDb b = KeelDb.open(target, readOnly)) {
            assertEquals(a.schema(), b.schema(), "same entity types");
            for (EntityType t : a.schema()) {
                assertEquals(a.snapshot().count(t.name()), b.snapshot().count(t.name()), t.name() + " count");
                Iterator<Entity> ia = a.snapshot().scan(t.name()).iterator();
                Iterator<Entity> ib = b.snapshot().scan(t.name()).iterator();
                while (ia.hasNext()) {
                    Entity x = ia.next();
                    Entity y = ib.next();
                    assertEquals(x.type(), y.type());
                    assertEquals(x.id(), y.id());
                    assertSameValues(x, y);
                }
                assertFalse(ib.hasNext());
            }
        }
    }

    private static void assertSameValues(Entity x, Entity y) {
        Map<String, Object> a = x.values();
        Map<String, Object> b = y.values();
        assertEquals(a.keySet(), b.keySet(), x + " vs " + y);
        for (Map.Entry<String, Object> e : a.entrySet()) {
            Object u = e.getValue();
            Object v = b.get(e.getKey());
            String what = x.type() + "#" + x.id() + "." + e.getKey();
            if (u instanceof byte[] ub) {
                assertArrayEquals(ub, (byte[]) v, what);
            } else if (u instanceof float[] uf) {
                float[] vf = (float[]) v;
                assertEquals(uf.length, vf.length, what);
                for (int i = 0; i < uf.length; i++) {
                    assertEquals(Float.floatToRawIntBits(uf[i]), Float.floatToRawIntBits(vf[i]), what + "[" + i + "]");
                }
            } else if (u instanceof Double ud) {
                assertEquals(Double.doubleToLongBits(ud), Double.doubleToLongBits((Double) v), what + ": " + u + " " + v);
            } else {
                assertEquals(u, v, what);
            }
        }
    }

    private static void fill(Path dir, Random rnd) {
        try (KeelDb db = KeelDb.open(dir, KeelOptions.builder().entityTypes(COMPANY, PERSON).build())) {
            int batch = 5000;
            for (int from = 0; from < COMPANIES; from += batch) {
                try (Transaction tx = db.begin()) {
                    for (int i = from; i < Math.min(COMPANIES, from + batch); i++) {
                        tx.insert("Company", company(rnd, i));
                    }
                    tx.commit();
                }
            }
            // A field with a default cleared to null must stay null (insert alone would fill the default).
            db.execute(tx -> {
                for (long id = 7; id <= COMPANIES; id += 7) {
                    Map<String, Object> cleared = new HashMap<>();
                    cleared.put("rating", null);
                    tx.update("Company", id, cleared);
                }
            });
            for (int from = 0; from < PEOPLE; from += batch) {
                try (Transaction tx = db.begin()) {
                    for (int i = from; i < Math.min(PEOPLE, from + batch); i++) {
                        // Explicit, sparse ids: the import must keep them.
                        tx.insert("Person", 1_000_000L + 3L * i, person(rnd, i));
                    }
                    tx.commit();
                }
            }
        }
    }

    private static Map<String, Object> company(Random rnd, int i) {
        Map<String, Object> v = new HashMap<>();
        v.put("name", "company-" + i + " " + TEXTS[i % TEXTS.length]);
        if (i % 3 != 0) {
            v.put("founded", Instant.ofEpochSecond(rnd.nextInt(2_000_000_000) - 1_000_000_000L, rnd.nextInt(1_000_000_000)));
        }
        if (i % 4 == 0) {
            byte[] logo = new byte[i % 8 == 0 ? 0 : rnd.nextInt(40)];
            rnd.nextBytes(logo);
            v.put("logo", logo);
        }
        if (i % 5 != 0) {
            v.put("rating", rnd.nextDouble() * 5);
        }
        if (i % 2 == 0) {
            v.put("listed", rnd.nextBoolean());
        }
        return v;
    }

    private static final double[] SPECIAL = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0,
        Double.MIN_VALUE, Double.MAX_VALUE, 0.1, 1e-300};

    private static Map<String, Object> person(Random rnd, int i) {
        Map<String, Object> v = new HashMap<>();
        v.put("name", TEXTS[i % TEXTS.length] + " " + i);
        if (i % 7 != 0) {
            v.put("age", i % 11 == 0 ? Long.MIN_VALUE + i : rnd.nextLong());
        }
        if (i % 3 != 0) {
            v.put("score", i % 13 == 0 ? SPECIAL[(i / 13) % SPECIAL.length] : rnd.nextGaussian() * 1e6);
        }
        if (i % 4 != 0) {
            v.put("active", rnd.nextBoolean());
        }
        if (i % 5 != 0) {
            v.put("born", Instant.ofEpochSecond(rnd.nextInt(2_000_000_000), rnd.nextInt(1_000_000_000)));
        }
        if (i % 6 == 0) {
            byte[] photo = new byte[rnd.nextInt(64)];
            rnd.nextBytes(photo);
            v.put("photo", photo);
        }
        if (i % 2 == 0) {
            v.put("employer", 1L + rnd.nextInt(COMPANIES));
        }
        if (i % 3 == 0) {
            float[] e = new float[i % 9 == 0 ? 0 : 8];
            for (int k = 0; k < e.length; k++) {
                e[k] = i % 17 == 0 && k == 0 ? Float.NaN : i % 19 == 0 && k == 1 ? Float.NEGATIVE_INFINITY
                        : Float.intBitsToFloat(rnd.nextInt(0x7f000000));
            }
            v.put("embedding", e);
        }
        if (i % 10 == 0) {
            v.put("note", "note " + TEXTS[(i / 10) % TEXTS.length]);
        }
        if (i % 4 != 1) {
            v.put("level", i % 8 == 0 ? (i % 16 == 0 ? -1_000_000 : 1_000_000) : rnd.nextInt(2_000_001) - 1_000_000);
        }
        return v;
    }
}
