package dev.keel.internal.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteKeyTreeTest {

    private static final int LARGE = 200_000;

    /** A 4-byte big-endian key: ascending ints give ascending keys. */
    private static byte[] key(int i) {
        return new byte[] {(byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i};
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static List<byte[]> drain(ByteKeyTree.Cursor cursor) {
        List<byte[]> keys = new ArrayList<>();
        while (cursor.next()) {
            keys.add(cursor.key());
        }
        assertFalse(cursor.next(), "an exhausted cursor stays exhausted");
        assertThrows(IllegalStateException.class, cursor::key);
        return keys;
    }

    @Test
    void emptyTree() {
        ByteKeyTree empty = ByteKeyTree.empty();
        empty.verifyStructure();
        assertEquals(0, empty.size());
        assertTrue(empty.isEmpty());
        assertEquals(0, empty.height());
        assertFalse(empty.contains(new byte[0]));
        assertNull(empty.ceiling(null, true));
        assertNull(empty.ceiling(new byte[0], false));
        for (byte[] from : new byte[][] {null, new byte[0], bytes(0xFF)}) {
            for (boolean inclusive : new boolean[] {true, false}) {
                ByteKeyTree.Cursor up = empty.ascending(from, inclusive);
                assertThrows(IllegalStateException.class, up::key);
                assertEquals(List.of(), drain(up));
                assertEquals(List.of(), drain(empty.descending(from, inclusive)));
            }
        }
        ByteKeyTree.Editor editor = empty.edit();
        assertFalse(editor.remove(bytes(1)));
        assertFalse(editor.contains(bytes(1)));
        assertEquals(0, editor.size());
        assertSame(empty, editor.build());
        assertSame(empty, ByteKeyTree.builder().build());
    }

    @Test
    void nullKeysAreRejected() {
        ByteKeyTree tree = ByteKeyTree.builder().add(bytes(1)).build();
        assertThrows(NullPointerException.class, () -> tree.contains(null));
        ByteKeyTree.Editor editor = tree.edit();
        assertThrows(NullPointerException.class, () -> editor.add(null));
        assertThrows(NullPointerException.class, () -> editor.remove(null));
        assertThrows(NullPointerException.class, () -> editor.contains(null));
        assertThrows(NullPointerException.class, () -> ByteKeyTree.builder().add(null));
        assertEquals(1, editor.build().size());
    }

    @Test
    void singleKey() {
        byte[] only = bytes(0x10, 0x80);
        ByteKeyTree.Editor editor = ByteKeyTree.empty().edit();
        assertTrue(editor.add(only));
        assertFalse(editor.add(only.clone()), "an equal key is already present");
        ByteKeyTree edited = editor.build();
        ByteKeyTree built = ByteKeyTree.builder().add(only).build();
        for (ByteKeyTree tree : List.of(edited, built)) {
            tree.verifyStructure();
            assertEquals(1, tree.size());
            assertEquals(1, tree.height());
            assertTrue(tree.contains(bytes(0x10, 0x80)));
            assertFalse(tree.contains(bytes(0x10)));
            assertFalse(tree.contains(bytes(0x10, 0x80, 0x00)));
            assertSame(only, tree.ceiling(null, false));
            assertSame(only, tree.ceiling(only, true));
            assertNull(tree.ceiling(only, false));
            assertSame(only, tree.ceiling(bytes(0x10), false));
            assertNull(tree.ceiling(bytes(0x10, 0x80, 0x00), true));
            List<byte[]> one = List.of(only);
            assertEquals(one, drain(tree.ascending(null, true)));
            assertEquals(one, drain(tree.ascending(only, true)));
            assertEquals(List.of(), drain(tree.ascending(only, false)));
            assertEquals(one, drain(tree.ascending(bytes(0x10), false)));
            assertEquals(List.of(), drain(tree.ascending(bytes(0x11), true)));
            assertEquals(one, drain(tree.descending(null, false)));
            assertEquals(one, drain(tree.descending(only, true)));
            assertEquals(List.of(), drain(tree.descending(only, false)));
            assertEquals(one, drain(tree.descending(bytes(0x11), false)));
            assertEquals(List.of(), drain(tree.descending(bytes(0x10), true)));
        }
        ByteKeyTree.Editor remover = edited.edit();
        assertTrue(remover.remove(bytes(0x10, 0x80)));
        assertFalse(remover.remove(only));
        ByteKeyTree none = remover.build();
        assertSame(ByteKeyTree.empty(), none);
        assertEquals(1, edited.size(), "the base tree keeps its key");
        assertTrue(edited.contains(only));
    }

    @Test
    void unsignedOrderWithPrefixesFirst() {
        byte[][] sorted = {bytes(), bytes(0x00), bytes(0x00, 0x00), bytes(0x00, 0xFF), bytes(0x01),
            bytes(0x7F, 0xFF, 0xFF), bytes(0x80), bytes(0x80, 0x00), bytes(0xFF), bytes(0xFF, 0x00)};
        ByteKeyTree.Editor editor = ByteKeyTree.empty().edit();
        for (int i = sorted.length - 1; i >= 0; i--) {
            assertTrue(editor.add(sorted[i]));
        }
        ByteKeyTree tree = editor.build();
        assertEquals(List.of(sorted), drain(tree.ascending(null, true)));
        List<byte[]> reversed = new ArrayList<>(List.of(sorted));
        Collections.reverse(reversed);
        assertEquals(reversed, drain(tree.descending(null, true)));
        assertSame(sorted[0], tree.ceiling(null, true));
        assertSame(sorted[1], tree.ceiling(sorted[0], false));
        assertSame(sorted[6], tree.ceiling(bytes(0x7F, 0xFF, 0xFF, 0x00), true));
    }

    /** Heads never contradict the key order: unequal heads order as the keys do. */
    @Test
    void headsOrderKeysPartially() {
        assertEquals(0x0102_0000_0000_0000L, ByteKeyTree.head(bytes(1, 2)));
        assertEquals(0x0102_0304_0506_0708L, ByteKeyTree.head(bytes(1, 2, 3, 4, 5, 6, 7, 8, 9)));
        assertEquals(0, ByteKeyTree.head(bytes()));
        assertEquals(-1L, ByteKeyTree.head(bytes(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)));
        Seeded.run("ByteKeyTreeTest.headsOrderKeysPartially", seed -> {
            Random random = new Random(seed);
            byte[] alphabet = bytes(0x00, 0x01, 0x7F, 0x80, 0xFF);
            for (int i = 0; i < 100_000; i++) {
                byte[] a = new byte[random.nextInt(12)];
                byte[] b = new byte[random.nextInt(12)];
                for (byte[] k : new byte[][] {a, b}) {
                    for (int j = 0; j < k.length; j++) {
                        k[j] = alphabet[random.nextInt(alphabet.length)];
                    }
                }
                int byHead = Long.compareUnsigned(ByteKeyTree.head(a), ByteKeyTree.head(b));
                if (byHead != 0) {
                    assertEquals(Integer.signum(byHead), Integer.signum(ByteKeyTree.compare(a, b)),
                            ByteKeyTree.hex(a) + " vs " + ByteKeyTree.hex(b));
                }
            }
        });
    }

    @Test
    void builderRejectsUnsortedAndDuplicateKeys() {
        ByteKeyTree.Builder builder = ByteKeyTree.builder().add(bytes(0x01, 0xAB));
        IllegalArgumentException duplicate =
                assertThrows(IllegalArgumentException.class, () -> builder.add(bytes(0x01, 0xAB)));
        assertEquals("keys must be strictly ascending: 01ab after 01ab", duplicate.getMessage());
        IllegalArgumentException unsorted =
                assertThrows(IllegalArgumentException.class, () -> builder.add(bytes(0x01)));
        assertEquals("keys must be strictly ascending: 01 after 01ab", unsorted.getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.add(bytes(0x00, 0xFF, 0xFF)));
        builder.add(bytes(0x01, 0xAB, 0x00)).add(bytes(0x80));
        ByteKeyTree tree = builder.build();
        tree.verifyStructure();
        assertEquals(3, tree.size());
        assertThrows(IllegalStateException.class, builder::build);
        assertThrows(IllegalStateException.class, () -> builder.add(bytes(0xFF)));
    }

    @Test
    void editorIsUnusableAfterBuild() {
        ByteKeyTree.Editor editor = ByteKeyTree.empty().edit();
        editor.add(bytes(1));
        ByteKeyTree tree = editor.build();
        assertThrows(IllegalStateException.class, () -> editor.add(bytes(2)));
        assertThrows(IllegalStateException.class, () -> editor.remove(bytes(1)));
        assertThrows(IllegalStateException.class, () -> editor.contains(bytes(1)));
        assertThrows(IllegalStateException.class, editor::size);
        assertThrows(IllegalStateException.class, editor::build);
        assertEquals(1, tree.size());
        assertTrue(tree.contains(bytes(1)));
    }

    /** Every level's last node, at sizes around the node limits, is lifted to the minimum. */
    @Test
    void builderBalancesTheLastNodes() {
        int fill = ByteKeyTree.MAX * 7 / 8;
        int[] sizes = {1, 2, ByteKeyTree.MIN - 1, ByteKeyTree.MIN, fill - 1, fill, fill + 1,
            fill + ByteKeyTree.MIN - 1, fill + ByteKeyTree.MIN, ByteKeyTree.MAX + 1, fill * fill - 1,
            fill * fill, fill * fill + 1, fill * (fill + 1), fill * fill * fill + 1, LARGE};
        for (int n : sizes) {
            ByteKeyTree.Builder builder = ByteKeyTree.builder();
            for (int i = 0; i < n; i++) {
                builder.add(key(i));
            }
            ByteKeyTree tree = builder.build();
            tree.verifyStructure();
            assertEquals(n, tree.size());
            ByteKeyTree.Cursor cursor = tree.ascending(null, true);
            for (int i = 0; i < n; i++) {
                assertTrue(cursor.next());
                assertArrayEquals(key(i), cursor.key());
            }
            assertFalse(cursor.next());
            ByteKeyTree.Cursor down = tree.descending(null, true);
            assertTrue(down.next());
            assertArrayEquals(key(n - 1), down.key());
        }
    }

    @Test
    void sequentialInsertsOneEditorEachThenRemoveAll() {
        ByteKeyTree tree = ByteKeyTree.empty();
        ByteKeyTree half = null;
        for (int i = 0; i < LARGE; i++) {
            ByteKeyTree.Editor editor = tree.edit();
            assertTrue(editor.add(key(i)));
            tree = editor.build();
            if (i == LARGE / 2) {
                half = tree;
            }
        }
        tree.verifyStructure();
        assertEquals(LARGE, tree.size());
        assertEquals(4, tree.height());
        checkRange(tree, 0, LARGE);
        half.verifyStructure();
        checkRange(half, 0, LARGE / 2 + 1);

        ByteKeyTree.Editor remover = tree.edit();
        for (int i = 0; i < LARGE; i++) {
            assertTrue(remover.remove(key(i)));
            assertEquals(i + 1 < LARGE, remover.contains(key(i + 1)));
        }
        assertEquals(0, remover.size());
        assertSame(ByteKeyTree.empty(), remover.build());
        tree.verifyStructure();
        checkRange(tree, 0, LARGE);
    }

    @Test
    void reverseSequentialInsertsInOneEditorThenRemoveAll() {
        ByteKeyTree.Editor editor = ByteKeyTree.empty().edit();
        for (int i = LARGE - 1; i >= 0; i--) {
            assertTrue(editor.add(key(i)));
        }
        ByteKeyTree tree = editor.build();
        tree.verifyStructure();
        checkRange(tree, 0, LARGE);

        // Remove from the end, one editor per 1000 keys, checking each intermediate version.
        ByteKeyTree shrinking = tree;
        for (int end = LARGE; end > 0; end -= 1000) {
            ByteKeyTree.Editor remover = shrinking.edit();
            for (int i = end - 1; i >= end - 1000; i--) {
                assertTrue(remover.remove(key(i)));
            }
            shrinking = remover.build();
            shrinking.verifyStructure();
            assertEquals(end - 1000, shrinking.size());
        }
        assertSame(ByteKeyTree.empty(), shrinking);
        tree.verifyStructure();
        checkRange(tree, 0, LARGE);
    }

    @Test
    void removeEverythingInRandomOrder() {
        Seeded.run("ByteKeyTreeTest.removeEverythingInRandomOrder", seed -> {
            ByteKeyTree.Builder builder = ByteKeyTree.builder();
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                builder.add(key(i * 3));
                order.add(i * 3);
            }
            ByteKeyTree full = builder.build();
            Collections.shuffle(order, new Random(seed));
            ByteKeyTree.Editor editor = full.edit();
            int removed = 0;
            for (int k : order) {
                assertFalse(editor.remove(key(k + 1)));
                assertTrue(editor.remove(key(k)));
                assertFalse(editor.contains(key(k)));
                if (++removed % 5_000 == 0) {
                    ByteKeyTree partial = editor.build();
                    partial.verifyStructure();
                    assertEquals(20_000 - removed, partial.size());
                    editor = partial.edit();
                }
            }
            assertSame(ByteKeyTree.empty(), editor.build());
            full.verifyStructure();
            assertEquals(20_000, full.size());
            assertTrue(full.contains(key(3 * 19_999)));
        });
    }

    /** Cursors from bounds between, on, before and after the keys, in both directions. */
    @Test
    void cursorsAcrossLeafBoundaries() {
        ByteKeyTree.Builder builder = ByteKeyTree.builder();
        for (int i = 0; i < 5_000; i++) {
            builder.add(key(2 * i + 1));
        }
        ByteKeyTree tree = builder.build();
        for (int b = -1; b <= 10_000; b++) {
            byte[] from = b < 0 ? bytes() : key(b);
            int firstUp = b < 0 ? 1 : b % 2 == 1 ? b : b + 1; // inclusive
            int firstUpExclusive = b < 0 ? 1 : b % 2 == 1 ? b + 2 : b + 1;
            int firstDown = b < 0 ? -1 : b % 2 == 1 ? b : b - 1;
            int firstDownExclusive = b < 0 ? -1 : b % 2 == 1 ? b - 2 : b - 1;
            checkFirst(tree.ascending(from, true), firstUp, 9_999);
            checkFirst(tree.ascending(from, false), firstUpExclusive, 9_999);
            checkFirst(tree.descending(from, true), firstDown, 9_999);
            checkFirst(tree.descending(from, false), firstDownExclusive, 9_999);
            byte[] ceiling = tree.ceiling(from, true);
            assertArrayEquals(firstUp <= 9_999 ? key(firstUp) : null, ceiling);
        }
    }

    /** The cursor's first key is {@code expected} and the second its odd neighbour (or the end). */
    private static void checkFirst(ByteKeyTree.Cursor cursor, int expected, int last) {
        if (expected < 0 || expected > last) {
            assertFalse(cursor.next());
            return;
        }
        assertTrue(cursor.next());
        assertArrayEquals(key(expected), cursor.key());
        boolean more = cursor.next();
        if (more) {
            int second = Byte.toUnsignedInt(cursor.key()[3]) | Byte.toUnsignedInt(cursor.key()[2]) << 8;
            assertEquals(2, Math.abs(second - expected));
        } else {
            assertTrue(expected == 1 || expected == last);
        }
    }

    private static void checkRange(ByteKeyTree tree, int from, int to) {
        assertEquals(to - from, tree.size());
        ByteKeyTree.Cursor up = tree.ascending(null, true);
        for (int i = from; i < to; i++) {
            assertTrue(up.next());
            assertArrayEquals(key(i), up.key());
        }
        assertFalse(up.next());
        ByteKeyTree.Cursor down = tree.descending(null, true);
        for (int i = to - 1; i >= from; i--) {
            assertTrue(down.next());
            assertArrayEquals(key(i), down.key());
        }
        assertFalse(down.next());
        assertTrue(tree.contains(key(from)));
        assertTrue(tree.contains(key(to - 1)));
        assertFalse(tree.contains(key(to)));
    }
}
