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

class LongBTreeTest {

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
        LongBTree.Builder builder = LongBTree.builder();
        for (long key = 1; key <= MILLION; key++) {
            builder.add(key, valueOf(key));
        }
        LongBTree tree = builder.build();

        assertEquals(MILLION, tree.size());
        assertEquals(4, tree.height());
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

        LongBTree.Cursor all = tree.cursor(Long.MIN_VALUE);
        for (long key = 1; key <= MILLION; key++) {
            assertTrue(all.next());
            assertEquals(key, all.key());
            assertSame(valueOf(key), all.value());
        }
        assertFalse(all.next());

        LongBTree.Cursor tail = tree.cursor(MILLION - 10);
        for (long key = MILLION - 10; key <= MILLION; key++) {
            assertTrue(tail.next());
            assertEquals(key, tail.key());
        }
        assertFalse(tail.next());
        assertFalse(tree.cursor(MILLION + 1).next());

        // Changes on top of the packed tree leave it untouched.
        byte[] changed = {42};
        LongBTree edited = tree.put(500_000, changed).remove(1).put(MILLION + 1, changed);
        assertSame(changed, edited.get(500_000));
        assertNull(edited.get(1));
        assertEquals(MILLION, edited.size());
        assertEquals(MILLION + 1, edited.maxKey());
        assertSame(valueOf(500_000), tree.get(500_000));
        assertSame(valueOf(1), tree.get(1));
        assertNull(tree.get(MILLION + 1));
        assertEquals(MILLION, tree.size());
    }

    @Test
    void builderRejectsKeysThatAreNotStrictlyAscending() {
        LongBTree.Builder builder = LongBTree.builder().add(5, valueOf(5));
        assertThrows(IllegalArgumentException.class, () -> builder.add(5, valueOf(5)));
        assertThrows(IllegalArgumentException.class, () -> builder.add(4, valueOf(4)));
        assertThrows(NullPointerException.class, () -> builder.add(6, null));
        builder.add(Long.MAX_VALUE, valueOf(7));
        LongBTree tree = builder.build();
        assertEquals(2, tree.size());
        assertEquals(Long.MAX_VALUE, tree.maxKey());
        assertThrows(IllegalStateException.class, builder::build);
        assertThrows(IllegalStateException.class, () -> builder.add(Long.MAX_VALUE, valueOf(1)));
    }

    @Test
    void builderAcceptsLongMinValueAsFirstKey() {
        LongBTree tree = LongBTree.builder().add(Long.MIN_VALUE, valueOf(0)).build();
        assertSame(valueOf(0), tree.get(Long.MIN_VALUE));
        assertEquals(Long.MIN_VALUE, tree.maxKey());
    }

    @Test
    void emptyTree() {
        LongBTree empty = LongBTree.empty();
        assertTrue(empty.isEmpty());
        assertEquals(0, empty.size());
        assertNull(empty.get(0));
        assertThrows(NoSuchElementException.class, empty::maxKey);
        assertSame(empty, empty.remove(7));
        LongBTree.Cursor cursor = empty.cursor(Long.MIN_VALUE);
        assertThrows(IllegalStateException.class, cursor::key);
        assertFalse(cursor.next());
        assertThrows(IllegalStateException.class, cursor::value);
        assertTrue(LongBTree.builder().build().isEmpty());
        assertTrue(empty.edit().build().isEmpty());

        LongBTree one = empty.put(7, valueOf(7));
        assertEquals(1, one.size());
        assertTrue(empty.isEmpty());
        LongBTree none = one.remove(7);
        assertTrue(none.isEmpty());
        assertThrows(NoSuchElementException.class, none::maxKey);
        assertFalse(none.cursor(Long.MIN_VALUE).next());
    }

    @Test
    void putRejectsNullValues() {
        assertThrows(NullPointerException.class, () -> LongBTree.empty().put(1, null));
        LongBTree.Editor editor = LongBTree.empty().edit();
        assertThrows(NullPointerException.class, () -> editor.put(1, null));
    }

    @Test
    void editorIsUnusableAfterBuild() {
        LongBTree base = LongBTree.empty().put(1, valueOf(1));
        LongBTree.Editor editor = base.edit();
        editor.put(2, valueOf(2));
        assertTrue(editor.remove(1));
        assertFalse(editor.remove(1));
        LongBTree built = editor.build();

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
        LongBTree base = LongBTree.empty().put(1, valueOf(1));
        LongBTree.Editor editor = base.edit();
        assertSame(valueOf(1), editor.get(1));
        assertFalse(editor.remove(2));
        assertSame(base, editor.build());
    }

    @Test
    void editorBulkInsertsLeaveTheBaseUnchanged() {
        LongBTree tree = LongBTree.empty();
        for (int batch = 0; batch < 100; batch++) {
            LongBTree before = tree;
            LongBTree.Editor editor = tree.edit();
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
        LongBTree.Cursor cursor = tree.cursor(-5);
        for (long key = 0; key < 100_000; key++) {
            assertTrue(cursor.next());
            assertEquals(key, cursor.key());
            assertSame(valueOf(key), cursor.value());
        }
        assertFalse(cursor.next());
    }

    @Test
    void removingEverythingCollapsesToAnEmptyTree() {
        LongBTree tree = LongBTree.empty();
        for (long key = 0; key < 10_000; key++) {
            tree = tree.put(key * 7, valueOf(key));
        }
        LongBTree full = tree;
        LongBTree.Editor editor = tree.edit();
        for (long key = 0; key < 10_000; key += 2) {
            assertTrue(editor.remove(key * 7));
        }
        tree = editor.build();
        assertEquals(5_000, tree.size());
        assertEquals(9_999 * 7, tree.maxKey());
        assertEquals(3, full.height());
        for (long key = 1; key < 9_999; key += 2) {
            tree = tree.remove(key * 7);
        }
        assertEquals(1, tree.size());
        assertEquals(1, tree.height(), "a root with a single child collapses");
        tree = tree.remove(9_999 * 7);
        assertTrue(tree.isEmpty());
        assertSame(LongBTree.empty(), tree);
        assertEquals(10_000, full.size());
        assertSame(valueOf(9_999), full.get(9_999 * 7));
    }
}
