package dev.keel.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableSet;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Seeded model test of {@link ByteKeyTree} against a {@link TreeSet} ordered by
 * {@link Arrays#compareUnsigned}: editor batches of random sizes (sometimes two editors on one
 * base) with add, remove and contains; ceilings and cursors in both directions from random
 * bounds; builder bulk loads. Keys have random lengths 0..20 over a five-byte alphabet that
 * includes 0x00, 0x7F/0x80 and 0xFF, and are often derived from present keys, so duplicates,
 * prefixes and signed/unsigned differences are frequent. Phases grow the set to thousands of
 * keys (height 3) and shrink it to empty, so splits, merges, redistributions and root changes all
 * occur. After every batch the new tree and the previous version are checked in full against
 * their models (persistence), and random older snapshots now and then.
 */
class ByteKeyTreeProperties {

    private static final byte[] ALPHABET = {0x00, 0x01, 0x7F, (byte) 0x80, (byte) 0xFF};

    @Test
    void editorBatchesOfRandomSizes() {
        Seeded.run("ByteKeyTreeProperties.editorBatchesOfRandomSizes",
                seed -> new Run(seed, 6_000).batches(800 * Seeded.MULTIPLIER, 200));
    }

    @Test
    void oneChangePerEditor() {
        Seeded.run("ByteKeyTreeProperties.oneChangePerEditor",
                seed -> new Run(seed, 1_000).batches(5_000 * Seeded.MULTIPLIER, 1));
    }

    @Test
    void builderLoadsThenEditorBatches() {
        Seeded.run("ByteKeyTreeProperties.builderLoadsThenEditorBatches", seed -> {
            Run run = new Run(seed, 6_000);
            for (int i = 0; i < 2 * Seeded.MULTIPLIER; i++) {
                run.load(run.random.nextInt(0, 6_000));
                run.batches(150, 300);
            }
        });
    }

    /**
     * Large trees (height 3) losing and gaining whole key ranges in one batch, so interior
     * nodes on both sides of a range underflow and borrow from or merge with their neighbours.
     */
    @Test
    void rangeRemovalsInLargeTrees() {
        Seeded.run("ByteKeyTreeProperties.rangeRemovalsInLargeTrees", seed -> {
            Run run = new Run(seed, 0);
            for (int i = 0; i < 2 * Seeded.MULTIPLIER; i++) {
                run.load(run.random.nextInt(30_000, 150_000));
                run.rangeBatches(12);
            }
        });
    }

    private record Snapshot(ByteKeyTree tree, TreeSet<byte[]> model) {
    }

    private static TreeSet<byte[]> newModel() {
        return new TreeSet<>(Arrays::compareUnsigned);
    }

    private static TreeSet<byte[]> copy(TreeSet<byte[]> model) {
        TreeSet<byte[]> copy = newModel();
        copy.addAll(model);
        return copy;
    }

    /** One seeded run: the current tree, its model, and snapshots taken along the way. */
    private static final class Run {
        final SplittableRandom random;
        /** Growing phases stop below this size. */
        final int maxTarget;
        final List<Snapshot> snapshots = new ArrayList<>();
        TreeSet<byte[]> model = newModel();
        ByteKeyTree tree = ByteKeyTree.empty();
        long step;
        String op = "start";
        byte[] opKey;
        boolean growing = true;
        int target;
        /** Coverage, printed at the end of a scenario. */
        long largest;
        int highest;
        int emptied;

        Run(long seed, int maxTarget) {
            this.random = new SplittableRandom(seed);
            this.maxTarget = maxTarget;
        }

        // ---- scenarios

        /** Runs {@code count} editor batches of 1..maxLength operations, then checks everything. */
        void batches(int count, int maxLength) {
            for (int b = 0; b < count; b++) {
                int length = maxLength == 1 ? 1
                        : random.nextInt(8) == 0 ? random.nextInt(1, 5 * maxLength) : random.nextInt(1, maxLength);
                batch(length);
            }
            fullCheck(tree, model, "final tree");
            for (Snapshot s : snapshots) {
                fullCheck(s.tree(), s.model(), "snapshot at end");
            }
            System.out.println("  " + step + " changes, largest size " + largest + ", greatest height "
                    + highest + ", emptied " + emptied + " times");
        }

        /** Batches that add many random keys or remove a contiguous range, in random order. */
        void rangeBatches(int count) {
            for (int b = 0; b < count; b++) {
                ByteKeyTree base = tree;
                TreeSet<byte[]> baseModel = copy(model);
                ByteKeyTree.Editor editor = tree.edit();
                if (model.size() < 2_000 || random.nextInt(3) == 0) {
                    for (int i = random.nextInt(1, 40_000); i > 0; i--) {
                        step++;
                        byte[] key = randomKey();
                        describe("add", key);
                        assertEquals(model.add(key), editor.add(key), this::where);
                    }
                } else {
                    byte[] from = existingKey(model);
                    NavigableSet<byte[]> range = random.nextBoolean() ? model.tailSet(from, true)
                            : model.headSet(from, true).descendingSet();
                    List<byte[]> doomed = new ArrayList<>();
                    int length = random.nextInt(1, model.size() * 3 / 4);
                    for (Iterator<byte[]> it = range.iterator(); it.hasNext() && doomed.size() < length; ) {
                        doomed.add(it.next());
                    }
                    if (random.nextBoolean()) {
                        for (int i = doomed.size() - 1; i > 0; i--) {
                            int j = random.nextInt(i + 1);
                            byte[] t = doomed.get(i);
                            doomed.set(i, doomed.get(j));
                            doomed.set(j, t);
                        }
                    }
                    for (byte[] key : doomed) {
                        step++;
                        describe("remove in range", key);
                        assertTrue(editor.remove(key), this::where);
                        model.remove(key);
                    }
                }
                assertEquals(model.size(), editor.size(), this::where);
                tree = editor.build();
                highest = Math.max(highest, tree.height());
                largest = Math.max(largest, tree.size());
                fullCheck(tree, model, "tree after range batch");
                fullCheck(base, baseModel, "tree before range batch (must be unchanged)");
            }
            System.out.println("  " + step + " changes, largest size " + largest + ", greatest height " + highest);
        }

        /** Replaces the tree by a bulk load of up to {@code attempts} random keys. */
        void load(int attempts) {
            TreeSet<byte[]> loaded = newModel();
            for (int i = 0; i < attempts; i++) {
                loaded.add(randomKey());
            }
            ByteKeyTree.Builder builder = ByteKeyTree.builder();
            for (byte[] key : loaded) {
                builder.add(key);
            }
            describe("builder", null);
            tree = builder.build();
            assertThrows(IllegalStateException.class, builder::build, this::where);
            model = loaded;
            fullCheck(tree, model, "built tree");
            snapshots.add(new Snapshot(tree, copy(model)));
        }

        // ---- one batch

        void batch(int length) {
            ByteKeyTree base = tree;
            TreeSet<byte[]> baseModel = copy(model);
            ByteKeyTree.Editor editor = tree.edit();
            ByteKeyTree.Editor side = random.nextInt(50) == 0 ? tree.edit() : null;
            TreeSet<byte[]> sideModel = side != null ? copy(model) : null;
            for (int i = 0; i < length; i++) {
                step++;
                updatePhase();
                boolean onSide = side != null && random.nextInt(3) == 0;
                change(onSide ? side : editor, onSide ? sideModel : model);
            }
            describe("build", null);
            tree = editor.build();
            assertThrows(IllegalStateException.class, () -> editor.add(new byte[0]), this::where);
            assertThrows(IllegalStateException.class, editor::build, this::where);
            fullCheck(tree, model, "tree after batch");
            largest = Math.max(largest, tree.size());
            highest = Math.max(highest, tree.height());
            fullCheck(base, baseModel, "tree before batch (must be unchanged)");
            if (side != null) {
                ByteKeyTree sideTree = side.build();
                fullCheck(sideTree, sideModel, "second editor's tree");
                TreeSet<byte[]> againModel = copy(sideModel);
                ByteKeyTree.Editor again = sideTree.edit();
                for (int i = 0; i < 30; i++) {
                    step++;
                    change(again, againModel);
                }
                fullCheck(again.build(), againModel, "second editor's tree, edited again");
                fullCheck(sideTree, sideModel, "second editor's tree after more edits (must be unchanged)");
                fullCheck(tree, model, "tree next to a second editor");
            }
            for (int i = 0; i < 3; i++) {
                checkQueries(tree, model, "tree");
            }
            if (!snapshots.isEmpty() && random.nextInt(4) == 0) {
                Snapshot s = snapshots.get(random.nextInt(snapshots.size()));
                fullCheck(s.tree(), s.model(), "older snapshot");
            }
            if (random.nextInt(40) == 0) {
                if (snapshots.size() >= 8) {
                    snapshots.remove(random.nextInt(snapshots.size()));
                }
                snapshots.add(new Snapshot(tree, copy(model)));
            }
        }

        void change(ByteKeyTree.Editor editor, TreeSet<byte[]> target) {
            int r = random.nextInt(100);
            int adds = growing ? 75 : 15;
            int removes = growing ? 15 : 75;
            if (r < adds) {
                byte[] key = randomKey();
                describe("add", key);
                assertEquals(target.add(key), editor.add(key), this::where);
                assertTrue(editor.contains(key), this::where);
            } else if (r < adds + removes) {
                byte[] key = target.isEmpty() || random.nextInt(5) == 0 ? randomKey() : existingKey(target);
                describe("remove", key);
                assertEquals(target.remove(key), editor.remove(key), this::where);
                assertFalse(editor.contains(key), this::where);
                if (target.isEmpty() && target == model) {
                    emptied++;
                }
            } else {
                byte[] key = random.nextBoolean() && !target.isEmpty() ? existingKey(target) : randomKey();
                describe("editor contains", key);
                assertEquals(target.contains(key), editor.contains(key), this::where);
            }
            assertEquals(target.size(), editor.size(), this::where);
        }

        // ---- checks

        void fullCheck(ByteKeyTree t, NavigableSet<byte[]> m, String what) {
            describe("full check of " + what, null);
            t.verifyStructure();
            assertEquals(m.size(), t.size(), in("size of " + what));
            assertEquals(m.isEmpty(), t.isEmpty(), in("isEmpty of " + what));
            checkCursor(t.ascending(null, true), m.iterator(), Integer.MAX_VALUE, "ascending " + what);
            checkCursor(t.descending(null, random.nextBoolean()), m.descendingIterator(), Integer.MAX_VALUE,
                    "descending " + what);
            int probes = 0;
            for (byte[] key : m) {
                if (random.nextInt(8) == 0 && probes++ < 200) {
                    assertTrue(t.contains(key), in("contains " + ByteKeyTree.hex(key) + " in " + what));
                }
            }
            checkQueries(t, m, what);
        }

        void checkQueries(ByteKeyTree t, NavigableSet<byte[]> m, String what) {
            for (int i = 0; i < 4; i++) {
                byte[] probe = random.nextBoolean() && !m.isEmpty() ? existingKey(m) : randomKey();
                describe("contains in " + what, probe);
                assertEquals(m.contains(probe), t.contains(probe), this::where);
            }
            byte[] from = random.nextInt(10) == 0 ? null
                    : random.nextBoolean() && !m.isEmpty() ? existingKey(m) : randomKey();
            boolean inclusive = random.nextBoolean();
            describe((inclusive ? "inclusive" : "exclusive") + " queries from", from);
            byte[] expectedCeiling = from == null ? (m.isEmpty() ? null : m.first())
                    : inclusive ? m.ceiling(from) : m.higher(from);
            assertSame(expectedCeiling, t.ceiling(from, inclusive), in("ceiling of " + what));
            int limit = random.nextInt(1, 150);
            Iterator<byte[]> up = from == null ? m.iterator() : m.tailSet(from, inclusive).iterator();
            checkCursor(t.ascending(from, inclusive), up, limit, "ascending cursor of " + what);
            Iterator<byte[]> down = from == null ? m.descendingIterator()
                    : m.headSet(from, inclusive).descendingIterator();
            checkCursor(t.descending(from, inclusive), down, limit, "descending cursor of " + what);
        }

        void checkCursor(ByteKeyTree.Cursor cursor, Iterator<byte[]> expected, int limit, String what) {
            for (int i = 0; i < limit; i++) {
                boolean has = expected.hasNext();
                int at = i;
                assertEquals(has, cursor.next(), in(what + " at position " + at));
                if (!has) {
                    assertThrows(IllegalStateException.class, cursor::key, this::where);
                    assertFalse(cursor.next(), in(what + " after its end"));
                    return;
                }
                assertSame(expected.next(), cursor.key(), in(what + " at position " + at));
            }
        }

        // ---- generators

        /**
         * Alternates phases that grow towards a random size and shrink towards a smaller one, in
         * one phase out of three down to empty.
         */
        void updatePhase() {
            if (growing && model.size() >= target || !growing && model.size() <= target) {
                growing = !growing;
                target = growing ? random.nextInt(model.size(), Math.max(model.size(), maxTarget) + 1) : random.nextInt(3) == 0 ? 0 : random.nextInt(0, model.size() / 2 + 1);
            }
        }

        byte[] randomKey() {
            int r = random.nextInt(100);
            if (r < 30 && !model.isEmpty()) {
                byte[] base = existingKey(model);
                int kind = random.nextInt(3);
                if (kind == 0 && base.length > 0) {
                    return Arrays.copyOf(base, random.nextInt(base.length)); // a proper prefix
                }
                if (kind == 1 && base.length < 20) {
                    byte[] longer = Arrays.copyOf(base, base.length + 1); // an extension
                    longer[base.length] = letter();
                    return longer;
                }
                byte[] changed = base.clone();
                if (changed.length > 0) {
                    changed[random.nextInt(changed.length)] = letter();
                }
                return changed;
            }
            byte[] key = new byte[r < 60 ? random.nextInt(0, 5) : random.nextInt(0, 21)];
            for (int i = 0; i < key.length; i++) {
                key[i] = letter();
            }
            return key;
        }

        byte letter() {
            return ALPHABET[random.nextInt(ALPHABET.length)];
        }

        byte[] existingKey(NavigableSet<byte[]> m) {
            byte[] key = m.ceiling(randomShortKey());
            return key != null ? key : m.last();
        }

        byte[] randomShortKey() {
            byte[] key = new byte[random.nextInt(0, 6)];
            for (int i = 0; i < key.length; i++) {
                key[i] = letter();
            }
            return key;
        }

        void describe(String operation, byte[] key) {
            op = operation;
            opKey = key;
        }

        Supplier<String> in(String detail) {
            return () -> where() + " " + detail;
        }

        String where() {
            return "step=" + step + " op=" + op + " key=" + ByteKeyTree.hex(opKey) + " size=" + model.size();
        }
    }
}
