package dev.keel.internal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class LongRadixTreeTest {

    private static final int MILLION = 1_000_000;
    /** Values are shared by key modulo 256, so a million entries stay cheap and checkable. */
    private static final byte[][] VALUES = new byte[256][];

    static {
        for (int i = 0; i < VALUES.length; i++) {
            VALUES[i] = new byte[] {(byte) i};
        }
    }

    private static byte[] valueOf(long key) {
        return VALUES[(int) (key & 0xFF)];
    }

    @Test
    void builderLoadsAMillionAscendingEntries() {
        LongRadixTree.Builder builder = LongRadixTree.builder();
        for (long key = 1; key <= MILLION; key++) {
            builder.add(key, valueOf(key));
        }
        LongRadixTree tree = builder.build();
        tree.verifyStructure();

        assertEquals(MILLION, tree.size());
        assertEquals(3, tree.height());
        assertFalse(tree.isEmpty());
        assertEquals(MILLION, tree.maxKey());
        for (long key = 1; key <= MILLION; key++) {
            assertSame(valueOf(key), tree.get(key));
        }
        assertNull(tree.get(0));
        assertNull(tree.get(-1));
        assertNull(tree.get(MILLION + 1));
        assertNull(tree.get(Long.MIN_VALUE));
        assertNull(tree.get(Long.MAX_VALUE));

        LongRadixTree.Cursor all = tree.cursor(Long.MIN_VALUE);
        for (long key = 1; key <= MILLION; key++) {
            assertTrue(all.next());
            assertEquals(key, all.key());
            assertSame(valueOf(key), all.value());
        }
        assertFalse(all.next());

        LongRadixTree.Cursor tail = tree.cursor(MILLION - 10);
        for (long key = MILLION - 10; key <= MILLION; key++) {
            assertTrue(tail.next());
            assertEquals(key, tail.key());
        }
        assertFalse(tail.next());
        assertFalse(tree.cursor(MILLION + 1).next());
        assertFalse(tree.cursor(Long.MAX_VALUE).next());

        // Changes on top of the built tree leave it untouched.
        byte[] changed = {42};
        LongRadixTree edited = tree.put(500_000, changed).remove(1).put(MILLION + 1, changed);
        edited.verifyStructure();
        assertSame(changed, edited.get(500_000));
        assertNull(edited.get(1));
        assertEquals(MILLION, edited.size());
        assertEquals(MILLION + 1, edited.maxKey());
        assertSame(valueOf(500_000), tree.get(500_000));
        assertSame(valueOf(1), tree.get(1));
        assertNull(tree.get(MILLION + 1));
        assertEquals(MILLION, tree.size());
        tree.verifyStructure();
    }

    @Test
    void builderRejectsKeysThatAreNotStrictlyAscending() {
        LongRadixTree.Builder builder = LongRadixTree.builder().add(5, valueOf(5));
        assertThrows(IllegalArgumentException.class, () -> builder.add(5, valueOf(5)));
        assertThrows(IllegalArgumentException.class, () -> builder.add(4, valueOf(4)));
        assertThrows(NullPointerException.class, () -> builder.add(6, null));
        builder.add(Long.MAX_VALUE, valueOf(7));
        LongRadixTree tree = builder.build();
        tree.verifyStructure();
        assertEquals(2, tree.size());
        assertEquals(Long.MAX_VALUE, tree.maxKey());
        assertEquals(8, tree.height());
        assertThrows(IllegalStateException.class, builder::build);
        assertThrows(IllegalStateException.class, () -> builder.add(Long.MAX_VALUE, valueOf(1)));
    }

    @Test
    void negativeKeysAreRejectedByWritesAndAbsentForReads() {
        assertThrows(IllegalArgumentException.class,
                () -> LongRadixTree.builder().add(-1, valueOf(0)));
        assertThrows(IllegalArgumentException.class,
                () -> LongRadixTree.builder().add(Long.MIN_VALUE, valueOf(0)));
        LongRadixTree tree = LongRadixTree.builder().add(0, valueOf(0))
                .add(Long.MAX_VALUE, valueOf(1)).build();
        assertThrows(IllegalArgumentException.class, () -> tree.put(-1, valueOf(0)));
        assertThrows(IllegalArgumentException.class, () -> tree.put(Long.MIN_VALUE, valueOf(0)));
        for (long key : new long[] {-1, -256, Long.MIN_VALUE, Long.MIN_VALUE + 1}) {
            assertNull(tree.get(key), "get(" + key + ")");
            assertSame(tree, tree.remove(key), "remove(" + key + ")");
        }
        LongRadixTree.Editor editor = tree.edit();
        assertThrows(IllegalArgumentException.class, () -> editor.put(-1, valueOf(0)));
        assertFalse(editor.remove(Long.MIN_VALUE));
        assertNull(editor.get(-1));
        assertSame(tree, editor.build());

        LongRadixTree.Cursor cursor = tree.cursor(Long.MIN_VALUE);
        assertTrue(cursor.next());
        assertEquals(0, cursor.key());
        assertTrue(cursor.next());
        assertEquals(Long.MAX_VALUE, cursor.key());
        assertFalse(cursor.next());
        assertTrue(tree.cursor(-1).next());
    }

    @Test
    void heightGrowsAndShrinksAtByteBoundaries() {
        LongRadixTree tree = LongRadixTree.empty().put(0, valueOf(0));
        assertEquals(1, tree.height());
        tree = tree.put(255, valueOf(255));
        assertEquals(1, tree.height());
        LongRadixTree two = tree.put(256, valueOf(256));
        assertEquals(2, two.height());
        LongRadixTree three = two.put(65_536, valueOf(0));
        assertEquals(3, three.height());
        LongRadixTree eight = three.put(Long.MAX_VALUE, valueOf(1));
        assertEquals(8, eight.height());
        eight.verifyStructure();

        LongRadixTree back = eight.remove(Long.MAX_VALUE);
        assertEquals(3, back.height(), "the root collapses to the height of the largest key");
        back = back.remove(65_536);
        assertEquals(2, back.height());
        back = back.remove(256);
        assertEquals(1, back.height());
        back.verifyStructure();
        assertEquals(255, back.maxKey());
        back = back.remove(255).remove(0);
        assertSame(LongRadixTree.empty(), back);
        assertEquals(0, back.height());

        LongRadixTree.Editor editor = eight.edit();
        assertTrue(editor.remove(Long.MAX_VALUE));
        assertTrue(editor.remove(65_536));
        editor.put(65_535, valueOf(65_535));
        LongRadixTree edited = editor.build();
        edited.verifyStructure();
        assertEquals(2, edited.height());
        assertEquals(65_535, edited.maxKey());
        assertEquals(5, eight.size());
        assertEquals(Long.MAX_VALUE, eight.maxKey());
        eight.verifyStructure();
    }

    @Test
    void firstWriteIntoAnEmptyTreeStartsAtTheKeysHeight() {
        for (long key : new long[] {0, 255, 256, 65_536, 1L << 40, Long.MAX_VALUE}) {
            int height = key < 256 ? 1 : key < 65_536 ? 2 : key < (1L << 24) ? 3
                    : key < (1L << 48) ? 6 : 8;
            LongRadixTree put = LongRadixTree.empty().put(key, valueOf(key));
            LongRadixTree.Editor editor = LongRadixTree.empty().edit();
            editor.put(key, valueOf(key));
            LongRadixTree edited = editor.build();
            LongRadixTree built = LongRadixTree.builder().add(key, valueOf(key)).build();
            for (LongRadixTree tree : new LongRadixTree[] {put, edited, built}) {
                tree.verifyStructure();
                assertEquals(height, tree.height(), "height for " + key);
                assertSame(valueOf(key), tree.get(key));
                assertNull(tree.get(key ^ 1));
                assertEquals(key, tree.maxKey());
            }
        }
    }

    @Test
    void negativeKeysMissEvenAtHeightOne() {
        LongRadixTree tree = LongRadixTree.empty().put(1, valueOf(1)).put(255, valueOf(255));
        assertNull(tree.get(Long.MIN_VALUE + 1));
        assertNull(tree.get(-255));
        assertNull(tree.get(-1));
        assertSame(tree, tree.remove(Long.MIN_VALUE + 255));
    }

    @Test
    void cursorStartsInsideHolesAndSkipsPrunedSubtrees() {
        LongRadixTree.Builder builder = LongRadixTree.builder();
        long[] keys = {3, 300, 70_000, 1L << 32, (1L << 32) + 255, (1L << 32) + 256};
        for (long key : keys) {
            builder.add(key, valueOf(key));
        }
        LongRadixTree tree = builder.build();
        long[] froms = {-5, 0, 3, 4, 299, 301, 65_536, 70_001, 1L << 31, (1L << 32) + 1};
        for (long from : froms) {
            LongRadixTree.Cursor cursor = tree.cursor(from);
            for (long key : keys) {
                if (key >= from) {
                    assertTrue(cursor.next(), "cursor(" + from + ") before " + key);
                    assertEquals(key, cursor.key(), "cursor(" + from + ")");
                    assertSame(valueOf(key), cursor.value());
                }
            }
            assertFalse(cursor.next(), "cursor(" + from + ") at end");
        }
        assertFalse(tree.cursor((1L << 32) + 257).next());
        assertFalse(tree.cursor(Long.MAX_VALUE).next());
    }

    @Test
    void emptyTree() {
        LongRadixTree empty = LongRadixTree.empty();
        assertTrue(empty.isEmpty());
        assertEquals(0, empty.size());
        assertNull(empty.get(0));
        assertNull(empty.get(-1));
        assertThrows(NoSuchElementException.class, empty::maxKey);
        assertSame(empty, empty.remove(7));
        assertSame(empty, empty.remove(-7));
        LongRadixTree.Cursor cursor = empty.cursor(Long.MIN_VALUE);
        assertThrows(IllegalStateException.class, cursor::key);
        assertFalse(cursor.next());
        assertThrows(IllegalStateException.class, cursor::value);
        assertTrue(LongRadixTree.builder().build().isEmpty());
        assertTrue(empty.edit().build().isEmpty());
        empty.verifyStructure();

        LongRadixTree one = empty.put(7, valueOf(7));
        assertEquals(1, one.size());
        assertTrue(empty.isEmpty());
        LongRadixTree none = one.remove(7);
        assertTrue(none.isEmpty());
        assertThrows(NoSuchElementException.class, none::maxKey);
        assertFalse(none.cursor(Long.MIN_VALUE).next());
    }

    @Test
    void putRejectsNullValues() {
        assertThrows(NullPointerException.class, () -> LongRadixTree.empty().put(1, null));
        LongRadixTree.Editor editor = LongRadixTree.empty().edit();
        assertThrows(NullPointerException.class, () -> editor.put(1, null));
    }

    @Test
    void editorIsUnusableAfterBuild() {
        LongRadixTree base = LongRadixTree.empty().put(1, valueOf(1));
        LongRadixTree.Editor editor = base.edit();
        editor.put(2, valueOf(2));
        assertTrue(editor.remove(1));
        assertFalse(editor.remove(1));
        LongRadixTree built = editor.build();

        assertThrows(IllegalStateException.class, editor::build);
        assertThrows(IllegalStateException.class, () -> editor.put(3, valueOf(3)));
        assertThrows(IllegalStateException.class, () -> editor.remove(2));
        assertThrows(IllegalStateException.class, () -> editor.get(2));
        assertThrows(IllegalStateException.class, editor::size);

        assertEquals(1, built.size());
        assertSame(valueOf(2), built.get(2));
        assertNull(built.get(1));
        assertEquals(1, base.size());
        assertSame(valueOf(1), base.get(1));
        assertNull(base.get(2));
    }

    @Test
    void editorWithoutChangesReturnsItsBase() {
        LongRadixTree base = LongRadixTree.empty().put(1, valueOf(1));
        LongRadixTree.Editor editor = base.edit();
        assertSame(valueOf(1), editor.get(1));
        assertFalse(editor.remove(2));
        assertSame(base, editor.build());
    }

    @Test
    void editorBulkInsertsLeaveTheBaseUnchanged() {
        LongRadixTree tree = LongRadixTree.empty();
        for (int batch = 0; batch < 100; batch++) {
            LongRadixTree before = tree;
            LongRadixTree.Editor editor = tree.edit();
            for (int i = 0; i < 1000; i++) {
                long key = batch * 1000L + i;
                editor.put(key, valueOf(key));
            }
            tree = editor.build();
            assertNotSame(before, tree);
            assertEquals(batch * 1000L, before.size());
            assertNull(before.get(batch * 1000L));
            assertEquals((batch + 1) * 1000L, tree.size());
            assertEquals((batch + 1) * 1000L - 1, tree.maxKey());
        }
        tree.verifyStructure();
        LongRadixTree.Cursor cursor = tree.cursor(-5);
        for (long key = 0; key < 100_000; key++) {
            assertTrue(cursor.next());
            assertEquals(key, cursor.key());
            assertSame(valueOf(key), cursor.value());
        }
        assertFalse(cursor.next());
    }

    @Test
    void removingEverythingCollapsesToAnEmptyTree() {
        LongRadixTree tree = LongRadixTree.empty();
        for (long key = 0; key < 10_000; key++) {
            tree = tree.put(key * 7, valueOf(key));
        }
        LongRadixTree full = tree;
        LongRadixTree.Editor editor = tree.edit();
        for (long key = 0; key < 10_000; key += 2) {
            assertTrue(editor.remove(key * 7));
        }
        tree = editor.build();
        tree.verifyStructure();
        assertEquals(5_000, tree.size());
        assertEquals(9_999 * 7, tree.maxKey());
        assertEquals(3, full.height());
        for (long key = 9_999; key > 1; key -= 2) {
            tree = tree.remove(key * 7);
        }
        tree.verifyStructure();
        assertEquals(1, tree.size());
        assertEquals(7, tree.maxKey());
        assertEquals(1, tree.height(), "a root with only child 0 collapses");
        tree = tree.remove(7);
        assertTrue(tree.isEmpty());
        assertSame(LongRadixTree.empty(), tree);
        assertEquals(10_000, full.size());
        assertSame(valueOf(9_999), full.get(9_999 * 7));
        full.verifyStructure();
    }
}
