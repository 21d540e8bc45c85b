package dev.keel.internal.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.FieldType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link IndexKeys}: for every indexable type, seeded random values plus extremes encode so that
 * unsigned byte order is the values' order (null first, then by id); composite keys order by
 * component; prefixes, text prefixes and successors bound exactly the keys they should; ids
 * round-trip; wrong classes and VECTOR are rejected naming the type.
 */
class IndexKeysTest {

    private static final HexFormat HEX = HexFormat.of();

    private static final int[] CODE_POINTS = {0x00, 0x01, 'a', 'b', 0x7F, 0x80, 0xE9, 0x7FF, 0x800, 0xD7FF,
        0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
    private static final byte[] BYTE_ALPHABET = {0x00, 0x01, 0x7F, (byte) 0x80, (byte) 0xFE, (byte) 0xFF};

    /** Values of one type: a generator, the extremes and the order the encoding must keep. */
    private record Domain(FieldType type, List<Object> extremes, Function<SplittableRandom, Object> random,
            Comparator<Object> order) {
    }

    private static final List<Domain> DOMAINS = List.of(
            new Domain(FieldType.INT, List.of(Integer.MIN_VALUE, Integer.MIN_VALUE + 1, -256, -1, 0, 1, 255, 256,
                    Integer.MAX_VALUE - 1, Integer.MAX_VALUE), r -> r.nextInt(), by(Integer.class, Integer::compare)),
            new Domain(FieldType.LONG, List.of(Long.MIN_VALUE, Long.MIN_VALUE + 1, -256L, -1L, 0L, 1L, 255L, 256L,
                    Long.MAX_VALUE - 1, Long.MAX_VALUE), IndexKeysTest::randomLong, by(Long.class, Long::compare)),
            new Domain(FieldType.REFERENCE, List.of(1L, 2L, Long.MAX_VALUE - 1, 0L, -1L, Long.MIN_VALUE),
                    IndexKeysTest::randomLong, by(Long.class, Long::compare)),
            new Domain(FieldType.DOUBLE, List.of(Double.NEGATIVE_INFINITY, -Double.MAX_VALUE, -1.0, -Double.MIN_NORMAL,
                    -Double.MIN_VALUE, -0.0, 0.0, Double.MIN_VALUE, Double.MIN_NORMAL, 1.0, Double.MAX_VALUE,
                    Double.POSITIVE_INFINITY, Double.NaN, Double.longBitsToDouble(0x7FF0_0000_0000_0001L),
                    Double.longBitsToDouble(0xFFF8_0000_0000_0000L), Double.longBitsToDouble(-1L)),
                    IndexKeysTest::randomDouble, by(Double.class, Double::compare)),
            new Domain(FieldType.BOOLEAN, List.of(false, true), r -> r.nextBoolean(),
                    by(Boolean.class, Boolean::compare)),
            new Domain(FieldType.TIMESTAMP, List.of(Instant.MIN, Instant.MAX, Instant.EPOCH,
                    Instant.ofEpochSecond(-1, 999_999_999), Instant.ofEpochSecond(0, 1),
                    Instant.ofEpochSecond(Instant.MIN.getEpochSecond(), 999_999_999),
                    Instant.ofEpochSecond(Instant.MAX.getEpochSecond(), 0)),
                    IndexKeysTest::randomInstant, by(Instant.class, Instant::compareTo)),
            new Domain(FieldType.TEXT, List.of("", "\0", "\0\0", "\0\u0001", "\u0001", "a", "a\0", "a\0b", "ab",
                    "\u00e9", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff", "\ud800\udc00", "\ud83d\ude00",
                    "\udbff\udfff", "\udbff\udfff\0"),
                    IndexKeysTest::randomText, by(String.class, IndexKeysTest::compareCodePoints)),
            new Domain(FieldType.BYTES, List.of(new byte[0], new byte[] {0}, new byte[] {0, 0},
                    new byte[] {0, (byte) 0xFF}, new byte[] {1}, new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xFF, 0},
                    new byte[] {(byte) 0xFF, (byte) 0xFF}),
                    IndexKeysTest::randomBytes, by(byte[].class, Arrays::compareUnsigned)));

    private static <T> Comparator<Object> by(Class<T> type, Comparator<T> order) {
        return (a, b) -> order.compare(type.cast(a), type.cast(b));
    }

    /** Null first, then the domain's order. */
    private static Comparator<Object> nullsFirst(Domain d) {
        return Comparator.nullsFirst(d.order());
    }

    // ---- single-field order

    @Test
    void encodedOrderIsValueOrderForEveryType() {
        Seeded.run("IndexKeysTest.encodedOrderIsValueOrderForEveryType", seed -> {
            SplittableRandom random = new SplittableRandom(seed);
            for (Domain d : DOMAINS) {
                assertTrue(IndexKeys.indexable(d.type()));
                FieldType[] types = {d.type()};
                List<Object> values = new ArrayList<>(d.extremes());
                values.add(null);
                for (int i = 0; i < 250; i++) {
                    values.add(d.random().apply(random));
                }
                long[] ids = new long[values.size()];
                byte[][] keys = new byte[values.size()][];
                for (int i = 0; i < keys.length; i++) {
                    ids[i] = randomId(random);
                    keys[i] = IndexKeys.key(types, new Object[] {values.get(i)}, ids[i]);
                }
                Comparator<Object> order = nullsFirst(d);
                for (int i = 0; i < keys.length; i++) {
                    for (int j = 0; j < keys.length; j++) {
                        int byValue = order.compare(values.get(i), values.get(j));
                        int expected = byValue != 0 ? byValue : Long.compare(ids[i], ids[j]);
                        int actual = Arrays.compareUnsigned(keys[i], keys[j]);
                        int a = i;
                        int b = j;
                        assertEquals(Integer.signum(expected), Integer.signum(actual), () -> d.type() + ": "
                                + show(values.get(a)) + " id " + ids[a] + " vs " + show(values.get(b)) + " id " + ids[b]
                                + ", keys " + HEX.formatHex(keys[a]) + " vs " + HEX.formatHex(keys[b]));
                        boolean samePrefix = Arrays.equals(IndexKeys.prefix(types, new Object[] {values.get(a)}),
                                IndexKeys.prefix(types, new Object[] {values.get(b)}));
                        assertEquals(byValue == 0, samePrefix, () -> d.type() + ": prefixes of "
                                + show(values.get(a)) + " and " + show(values.get(b)));
                    }
                }
            }
        });
    }

    /** The byte diagram in the class comment, pinned. */
    @Test
    void formatOfEachType() {
        assertEquals("0180000000000000050000000000000007", hex(FieldType.LONG, 5L, 7));
        assertEquals("017ffffffffffffffb0000000000000007", hex(FieldType.REFERENCE, -5L, 7));
        assertEquals("00" + "0000000000000001", hex(FieldType.LONG, null, 1));
        assertEquals("01bff0000000000000", hexPrefix(FieldType.DOUBLE, 1.0));
        assertEquals("01400fffffffffffff", hexPrefix(FieldType.DOUBLE, -1.0));
        assertEquals("018000000000000000", hexPrefix(FieldType.DOUBLE, 0.0));
        assertEquals("017fffffffffffffff", hexPrefix(FieldType.DOUBLE, -0.0));
        assertEquals("01fff8000000000000", hexPrefix(FieldType.DOUBLE, Double.longBitsToDouble(-1L)));
        assertEquals("0100", hexPrefix(FieldType.BOOLEAN, false));
        assertEquals("0101", hexPrefix(FieldType.BOOLEAN, true));
        assertEquals("01800000000000000100000002", hexPrefix(FieldType.TIMESTAMP, Instant.ofEpochSecond(1, 2)));
        assertEquals("01" + "7fffffffffffffff" + "3b9ac9ff",
                hexPrefix(FieldType.TIMESTAMP, Instant.ofEpochSecond(-1, 999_999_999)));
        assertEquals("0161" + "00ff" + "0001", hexPrefix(FieldType.TEXT, "a\0"));
        assertEquals("01c3a90001", hexPrefix(FieldType.TEXT, "\u00e9"));
        assertEquals("010001", hexPrefix(FieldType.TEXT, ""));
        assertEquals("0100ff00ffff0001", hexPrefix(FieldType.BYTES, new byte[] {0, 0, (byte) 0xFF}));
        assertEquals("01" + "6100ff0001" + "01" + "8000000000000005" + "0000000000000007",
                HEX.formatHex(IndexKeys.key(new FieldType[] {FieldType.TEXT, FieldType.LONG},
                        new Object[] {"a\0", 5L}, 7)));
    }

    // ---- composite keys, prefixes

    @Test
    void compositeKeysOrderByComponentThenId() {
        Seeded.run("IndexKeysTest.compositeKeysOrderByComponentThenId", seed -> {
            SplittableRandom random = new SplittableRandom(seed);
            for (int round = 0; round < 40; round++) {
                Domain[] fields = randomFields(random);
                FieldType[] types = Arrays.stream(fields).map(Domain::type).toArray(FieldType[]::new);
                List<Object[]> tuples = randomTuples(random, fields, 120);
                long[] ids = new long[tuples.size()];
                byte[][] keys = new byte[tuples.size()][];
                for (int i = 0; i < keys.length; i++) {
                    ids[i] = random.nextInt(4) == 0 ? 1 + i % 3 : randomId(random);
                    keys[i] = IndexKeys.key(types, tuples.get(i), ids[i]);
                    assertEquals(ids[i], IndexKeys.id(keys[i]));
                    assertArrayEquals(IndexKeys.prefix(types, tuples.get(i)), IndexKeys.valuesOf(keys[i]));
                }
                for (int i = 0; i < keys.length; i++) {
                    for (int j = 0; j < keys.length; j++) {
                        int expected = compareTuples(fields, tuples.get(i), tuples.get(j), fields.length);
                        if (expected == 0) {
                            expected = Long.compare(ids[i], ids[j]);
                        }
                        int a = i;
                        int b = j;
                        assertEquals(Integer.signum(expected), Integer.signum(Arrays.compareUnsigned(keys[i], keys[j])),
                                () -> Arrays.toString(types) + ": " + showTuple(tuples.get(a)) + " id " + ids[a]
                                        + " vs " + showTuple(tuples.get(b)) + " id " + ids[b]);
                    }
                }
            }
        });
    }

    /** Every key with the leading values lies in [prefix, successor(prefix)); every other key outside. */
    @Test
    void prefixesBoundExactlyTheKeysWithTheirLeadingValues() {
        Seeded.run("IndexKeysTest.prefixesBoundExactlyTheKeysWithTheirLeadingValues", seed -> {
            SplittableRandom random = new SplittableRandom(seed);
            for (int round = 0; round < 40; round++) {
                Domain[] fields = randomFields(random);
                FieldType[] types = Arrays.stream(fields).map(Domain::type).toArray(FieldType[]::new);
                List<Object[]> tuples = randomTuples(random, fields, 150);
                List<byte[]> keys = new ArrayList<>();
                for (Object[] t : tuples) {
                    keys.add(IndexKeys.key(types, t, randomId(random)));
                }
                for (int q = 0; q < 30; q++) {
                    Object[] probe = tuples.get(random.nextInt(tuples.size()));
                    int leading = random.nextInt(0, fields.length + 1);
                    Object[] head = Arrays.copyOf(probe, leading);
                    byte[] from = IndexKeys.prefix(types, head);
                    byte[] to = IndexKeys.successor(from);
                    for (int i = 0; i < keys.size(); i++) {
                        boolean matches = compareTuples(fields, tuples.get(i), probe, leading) == 0;
                        byte[] key = keys.get(i);
                        boolean inRange = Arrays.compareUnsigned(key, from) >= 0
                                && (to == null || Arrays.compareUnsigned(key, to) < 0);
                        Object[] t = tuples.get(i);
                        assertEquals(matches, inRange, () -> Arrays.toString(types) + " prefix " + showTuple(head)
                                + " and key of " + showTuple(t));
                    }
                }
            }
        });
    }

    /** A TEXT prefix after leading values bounds exactly the keys whose next field starts with it. */
    @Test
    void textPrefixesBoundExactlyTheMatchingKeys() {
        Seeded.run("IndexKeysTest.textPrefixesBoundExactlyTheMatchingKeys", seed -> {
            SplittableRandom random = new SplittableRandom(seed);
            Domain text = domain(FieldType.TEXT);
            for (int round = 0; round < 30; round++) {
                Domain[] fields = randomFields(random);
                int position = random.nextInt(fields.length);
                fields[position] = text;
                FieldType[] types = Arrays.stream(fields).map(Domain::type).toArray(FieldType[]::new);
                List<Object[]> tuples = randomTuples(random, fields, 150);
                List<byte[]> keys = new ArrayList<>();
                for (Object[] t : tuples) {
                    keys.add(IndexKeys.key(types, t, randomId(random)));
                }
                for (int q = 0; q < 30; q++) {
                    Object[] probe = tuples.get(random.nextInt(tuples.size()));
                    Object[] head = Arrays.copyOf(probe, position);
                    String prefix = textPrefixOf(random, (String) probe[position]);
                    byte[] from = IndexKeys.textPrefix(types, head, prefix);
                    byte[] to = IndexKeys.successor(from);
                    for (int i = 0; i < keys.size(); i++) {
                        Object[] t = tuples.get(i);
                        boolean matches = compareTuples(fields, t, probe, position) == 0
                                && t[position] instanceof String s && s.startsWith(prefix);
                        byte[] key = keys.get(i);
                        boolean inRange = Arrays.compareUnsigned(key, from) >= 0
                                && (to == null || Arrays.compareUnsigned(key, to) < 0);
                        assertEquals(matches, inRange, () -> Arrays.toString(types) + " text prefix "
                                + show(prefix) + " after " + showTuple(head) + " and key of " + showTuple(t));
                    }
                }
            }
        });
    }

    @Test
    void textPrefixExamplesAndErrors() {
        FieldType[] types = {FieldType.LONG, FieldType.TEXT};
        Object[] leading = {5L};
        byte[] ab = IndexKeys.textPrefix(types, leading, "a\0");
        assertEquals("018000000000000005" + "01" + "6100ff", HEX.formatHex(ab));
        byte[] abKey = IndexKeys.key(types, new Object[] {5L, "a\0b"}, 1);
        byte[] aKey = IndexKeys.key(types, new Object[] {5L, "a"}, 1);
        assertTrue(Arrays.compareUnsigned(abKey, ab) > 0 && Arrays.compareUnsigned(abKey, IndexKeys.successor(ab)) < 0);
        assertTrue(Arrays.compareUnsigned(aKey, ab) < 0);
        byte[] any = IndexKeys.textPrefix(types, leading, "");
        assertEquals(HEX.formatHex(IndexKeys.prefix(types, leading)) + "01", HEX.formatHex(any));
        assertTrue(Arrays.compareUnsigned(IndexKeys.key(types, new Object[] {5L, null}, 1), any) < 0,
                "a null next field does not start with the empty text");

        IllegalArgumentException notText = assertThrows(IllegalArgumentException.class,
                () -> IndexKeys.textPrefix(types, new Object[0], "a"));
        assertTrue(notText.getMessage().contains("LONG"), notText.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IndexKeys.textPrefix(types, new Object[] {5L, "x"}, "a"));
        IllegalArgumentException surrogate = assertThrows(IllegalArgumentException.class,
                () -> IndexKeys.textPrefix(types, leading, "x\ud83d"));
        assertTrue(surrogate.getMessage().contains("surrogate"), surrogate.getMessage());
        assertThrows(NullPointerException.class, () -> IndexKeys.textPrefix(types, leading, null));
    }

    @Test
    void successor() {
        assertNull(IndexKeys.successor(new byte[0]));
        assertNull(IndexKeys.successor(new byte[] {(byte) 0xFF, (byte) 0xFF}));
        assertArrayEquals(new byte[] {2}, IndexKeys.successor(new byte[] {1, (byte) 0xFF, (byte) 0xFF}));
        assertArrayEquals(new byte[] {1, 3}, IndexKeys.successor(new byte[] {1, 2}));
        assertArrayEquals(new byte[] {(byte) 0x80}, IndexKeys.successor(new byte[] {0x7F}));
        assertArrayEquals(new byte[] {0, 1}, IndexKeys.successor(new byte[] {0, 0}));
        Seeded.run("IndexKeysTest.successor", seed -> {
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < 20_000; i++) {
                byte[] prefix = randomBytes(random);
                byte[] other = randomBytes(random);
                byte[] next = IndexKeys.successor(prefix);
                boolean startsWith = other.length >= prefix.length
                        && Arrays.equals(other, 0, prefix.length, prefix, 0, prefix.length);
                boolean inRange = Arrays.compareUnsigned(other, prefix) >= 0
                        && (next == null || Arrays.compareUnsigned(other, next) < 0);
                assertEquals(startsWith, inRange, () -> HEX.formatHex(other) + " and prefix " + HEX.formatHex(prefix));
                if (next != null) {
                    assertTrue(Arrays.compareUnsigned(next, prefix) > 0);
                }
            }
        });
    }

    // ---- ids and errors

    @Test
    void idsRoundTrip() {
        FieldType[] types = {FieldType.TEXT, FieldType.BYTES};
        Object[] values = {"x\0y", new byte[] {0, (byte) 0xFF}};
        byte[] valuesOnly = IndexKeys.prefix(types, values);
        Seeded.run("IndexKeysTest.idsRoundTrip", seed -> {
            SplittableRandom random = new SplittableRandom(seed);
            List<Long> ids = new ArrayList<>(List.of(0L, 1L, 255L, 256L, Long.MAX_VALUE - 1, Long.MAX_VALUE));
            for (int i = 0; i < 1000; i++) {
                ids.add(randomId(random));
            }
            for (long id : ids) {
                byte[] key = IndexKeys.key(types, values, id);
                assertEquals(id, IndexKeys.id(key));
                assertArrayEquals(valuesOnly, IndexKeys.valuesOf(key));
                assertEquals(valuesOnly.length + 8, key.length);
            }
        });
        assertEquals(258, IndexKeys.id(new byte[] {0, 0, 0, 0, 0, 0, 1, 2}));
        assertArrayEquals(new byte[0], IndexKeys.valuesOf(IndexKeys.key(new FieldType[0], new Object[0], 9)));
        assertThrows(IllegalArgumentException.class, () -> IndexKeys.id(new byte[7]));
        assertThrows(IllegalArgumentException.class, () -> IndexKeys.valuesOf(new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> IndexKeys.key(types, values, -1));
    }

    @Test
    void wrongClassesAndVectorsAreRejectedNamingTheType() {
        Object[][] wrong = {
            {FieldType.LONG, 5}, {FieldType.REFERENCE, 5}, {FieldType.LONG, "5"}, {FieldType.DOUBLE, 1.0f},
            {FieldType.DOUBLE, 1L}, {FieldType.BOOLEAN, 1}, {FieldType.TIMESTAMP, 0L},
            {FieldType.TIMESTAMP, java.util.Date.from(Instant.EPOCH)}, {FieldType.TEXT, new byte[0]},
            {FieldType.TEXT, 'c'}, {FieldType.BYTES, "bytes"}, {FieldType.BYTES, new Byte[0]},
            {FieldType.VECTOR, new float[] {1}}, {FieldType.VECTOR, null}};
        for (Object[] c : wrong) {
            FieldType type = (FieldType) c[0];
            FieldType[] types = {FieldType.LONG, type};
            Object[] values = {1L, c[1]};
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> IndexKeys.key(types, values, 1), () -> type + " accepted " + c[1]);
            assertTrue(e.getMessage().contains(type.name()), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> IndexKeys.prefix(types, values));
        }
        assertFalse(IndexKeys.indexable(FieldType.VECTOR));
        for (FieldType type : FieldType.values()) {
            assertEquals(type != FieldType.VECTOR, IndexKeys.indexable(type), type.name());
        }
        FieldType[] one = {FieldType.LONG};
        assertThrows(IllegalArgumentException.class, () -> IndexKeys.key(one, new Object[] {1L, 2L}, 1));
        assertThrows(IllegalArgumentException.class, () -> IndexKeys.key(one, new Object[0], 1));
        assertThrows(IllegalArgumentException.class, () -> IndexKeys.prefix(one, new Object[] {1L, 2L}));
        assertArrayEquals(new byte[0], IndexKeys.prefix(one, new Object[0]));
    }

    // ---- generators and helpers

    private static Domain domain(FieldType type) {
        return DOMAINS.stream().filter(d -> d.type() == type).findFirst().orElseThrow();
    }

    private static Domain[] randomFields(SplittableRandom random) {
        Domain[] fields = new Domain[random.nextInt(1, 4)];
        for (int i = 0; i < fields.length; i++) {
            fields[i] = DOMAINS.get(random.nextInt(DOMAINS.size()));
        }
        return fields;
    }

    /** Tuples drawn from small pools per field, so leading values often tie. */
    private static List<Object[]> randomTuples(SplittableRandom random, Domain[] fields, int count) {
        List<List<Object>> pools = new ArrayList<>();
        for (Domain d : fields) {
            List<Object> pool = new ArrayList<>();
            pool.add(null);
            for (int i = 0; i < 6; i++) {
                pool.add(random.nextBoolean() ? d.extremes().get(random.nextInt(d.extremes().size()))
                        : d.random().apply(random));
            }
            pools.add(pool);
        }
        List<Object[]> tuples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Object[] t = new Object[fields.length];
            for (int f = 0; f < fields.length; f++) {
                t[f] = random.nextInt(8) == 0 ? fields[f].random().apply(random)
                        : pools.get(f).get(random.nextInt(pools.get(f).size()));
            }
            tuples.add(t);
        }
        return tuples;
    }

    /** Compares the first {@code length} components, nulls first. */
    private static int compareTuples(Domain[] fields, Object[] a, Object[] b, int length) {
        for (int f = 0; f < length; f++) {
            int c = nullsFirst(fields[f]).compare(a[f], b[f]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** A prefix of {@code s} at a code point boundary, or a random string. */
    private static String textPrefixOf(SplittableRandom random, String s) {
        if (s == null || random.nextInt(5) == 0) {
            return randomText(random);
        }
        int points = s.codePointCount(0, s.length());
        return s.substring(0, s.offsetByCodePoints(0, random.nextInt(points + 1)));
    }

    private static long randomId(SplittableRandom random) {
        return random.nextBoolean() ? random.nextLong(1, 1000) : random.nextLong(1, Long.MAX_VALUE);
    }

    private static Object randomLong(SplittableRandom random) {
        return switch (random.nextInt(3)) {
            case 0 -> random.nextLong();
            case 1 -> random.nextLong() >> random.nextInt(64);
            default -> (long) random.nextInt(-3, 4);
        };
    }

    private static Object randomDouble(SplittableRandom random) {
        return switch (random.nextInt(4)) {
            case 0 -> Double.longBitsToDouble(random.nextLong());
            case 1 -> (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(-30, 30));
            case 2 -> (double) random.nextInt(-3, 4);
            default -> -(double) random.nextInt(-3, 4);
        };
    }

    private static Object randomInstant(SplittableRandom random) {
        long seconds = random.nextBoolean()
                ? random.nextLong(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond() + 1)
                : random.nextLong(-3, 4);
        return Instant.ofEpochSecond(seconds, random.nextBoolean() ? random.nextInt(1_000_000_000) : random.nextInt(3));
    }

    /** Strings over code points at the UTF-8 length boundaries, with 0x00 and supplementary ones. */
    private static String randomText(SplittableRandom random) {
        StringBuilder s = new StringBuilder();
        int length = random.nextInt(0, 6);
        for (int i = 0; i < length; i++) {
            s.appendCodePoint(CODE_POINTS[random.nextInt(CODE_POINTS.length)]);
        }
        return s.toString();
    }

    private static byte[] randomBytes(SplittableRandom random) {
        byte[] b = new byte[random.nextInt(0, 6)];
        for (int i = 0; i < b.length; i++) {
            b[i] = BYTE_ALPHABET[random.nextInt(BYTE_ALPHABET.length)];
        }
        return b;
    }

    private static int compareCodePoints(String a, String b) {
        return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
    }

    private static String hex(FieldType type, Object value, long id) {
        return HEX.formatHex(IndexKeys.key(new FieldType[] {type}, new Object[] {value}, id));
    }

    private static String hexPrefix(FieldType type, Object value) {
        return HEX.formatHex(IndexKeys.prefix(new FieldType[] {type}, new Object[] {value}));
    }

    private static String show(Object value) {
        if (value instanceof byte[] b) {
            return "bytes " + HEX.formatHex(b);
        }
        if (value instanceof String s) {
            return "\"" + s + "\" (utf-8 " + HEX.formatHex(s.getBytes(StandardCharsets.UTF_8)) + ")";
        }
        if (value instanceof Double d) {
            return d + " (bits " + Long.toHexString(Double.doubleToRawLongBits(d)) + ")";
        }
        return String.valueOf(value);
    }

    private static String showTuple(Object[] tuple) {
        StringBuilder s = new StringBuilder("(");
        for (Object v : tuple) {
            s.append(s.length() > 1 ? ", " : "").append(show(v));
        }
        return s.append(')').toString();
    }
}
