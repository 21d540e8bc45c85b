package dev.keel.internal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Seeded model test of {@link LongRadixTree} against {@link TreeMap}: random put/remove/get/cursor
 * sequences through the persistent API and through editors, with the tree's contents, size,
 * maxKey, height, structure and iteration order compared to the model, and earlier snapshots
 * checked to be unchanged. Keys written are in {@code [0, Long.MAX_VALUE]}: the small range
 * {@code [0, 300)} crosses the first byte boundary, the wide range clusters around the byte
 * boundaries (255/256, 65535/65536, ..., {@code Long.MAX_VALUE}) and mixes in keys of random
 * magnitude; reads, removes and cursors also probe negative keys. Replay a failure with
 * {@code -Dkeel.test.seed=<seed>}; scale the run with {@code -Dkeel.test.multiplier=<n>}.
 */
class LongRadixTreeProperties {

    private static final int MULTIPLIER = Integer.getInteger("keel.test.multiplier", 1);
    /** Keys at the byte boundaries of the trie, where the height and the slot indices change. */
    private static final long[] EXTREME_KEYS = {
        0, 1, 255, 256, 257, 65_535, 65_536, (1L << 24) - 1, 1L << 24, (1L << 32) - 1, 1L << 32,
        (1L << 56) - 1, 1L << 56, Long.MAX_VALUE - 1, Long.MAX_VALUE};
    /** Keys that writes reject and reads treat as absent. */
    private static final long[] NEGATIVE_KEYS = {Long.MIN_VALUE, Long.MIN_VALUE + 1, -256, -1};
    private static final int SMALL_RANGE = 300;

    @Test
    void persistentOperationsOnSmallKeyRange() {
        replayable(seed -> new Run(seed, true).persistent(30_000 * MULTIPLIER));
    }

    @Test
    void persistentOperationsOnWideKeyRange() {
        replayable(seed -> new Run(seed, false).persistent(30_000 * MULTIPLIER));
    }

    @Test
    void editorBatchesOnSmallKeyRange() {
        replayable(seed -> new Run(seed, true).editorBatches(30_000 * MULTIPLIER));
    }

    @Test
    void editorBatchesOnWideKeyRange() {
        replayable(seed -> new Run(seed, false).editorBatches(30_000 * MULTIPLIER));
    }

    @Test
    void ascendingEditorBatches() {
        replayable(seed -> new Run(seed, false).ascendingBatches(20 * MULTIPLIER, 1000));
    }

    @Test
    void builtTreeThenMixedOperationsOnSmallKeyRange() {
        replayable(seed -> {
            Run run = new Run(seed, true);
            run.loadWithBuilder(run.random.nextInt(0, 400));
            run.editorBatches(15_000 * MULTIPLIER);
        });
    }

    /** A packed tree splits full leaves and inner nodes at once, in the middle. */
    @Test
    void builtTreeThenMixedOperationsOnWideKeyRange() {
        replayable(seed -> {
            Run run = new Run(seed, false);
            run.loadWithBuilder(run.random.nextInt(4_000, 30_000));
            run.editorBatches(15_000 * MULTIPLIER);
        });
    }

    /** Runs a scenario with the given or a fresh seed and names the seed in any failure. */
    private static void replayable(LongConsumer scenario) {
        Long fixed = Long.getLong("keel.test.seed");
        long seed = fixed != null ? fixed : ThreadLocalRandom.current().nextLong();
        try {
            scenario.accept(seed);
        } catch (Throwable t) {
            throw new AssertionError(
                    "seed=" + seed + "; replay with -Dkeel.test.seed=" + seed + ": " + t, t);
        }
    }

    private record Snapshot(LongRadixTree tree, TreeMap<Long, byte[]> model) {
    }

    /** One seeded run: the current tree, its model, and snapshots taken along the way. */
    private static final class Run {
        final SplittableRandom random;
        final boolean smallKeys;
        final List<Snapshot> snapshots = new ArrayList<>();
        TreeMap<Long, byte[]> model = new TreeMap<>();
        LongRadixTree tree = LongRadixTree.empty();
        long step;
        String op = "start";
        long opKey;
        long stepsSinceFullCheck;
        boolean growing = true;
        long phaseEnd;

        Run(long seed, boolean smallKeys) {
            this.random = new SplittableRandom(seed);
            this.smallKeys = smallKeys;
        }

        // ---- scenarios

        void persistent(int operations) {
            while (step < operations) {
                persistentStep();
            }
            checkAllSnapshots();
        }

        void editorBatches(int operations) {
            long end = step + operations;
            while (step < end) {
                if (random.nextInt(10) == 0) {
                    persistentStep();
                } else {
                    boolean big = random.nextInt(8) == 0;
                    batch(big ? random.nextInt(1, 1500) : random.nextInt(1, 100));
                }
            }
            checkAllSnapshots();
        }

        void ascendingBatches(int batches, int batchSize) {
            long span = 3L * batches * batchSize + 10;
            long[] starts = {0, Math.max(0, 65_536 - span / 2), (1L << 32) - span / 2, Long.MAX_VALUE - span,
                random.nextLong(0, 1L << 40)};
            long next = starts[random.nextInt(starts.length)];
            for (int b = 0; b < batches; b++) {
                LongRadixTree base = tree;
                TreeMap<Long, byte[]> baseModel = new TreeMap<>(model);
                LongRadixTree.Editor editor = tree.edit();
                for (int i = 0; i < batchSize; i++) {
                    step++;
                    int r = random.nextInt(100);
                    if (r < 2 && !model.isEmpty()) {
                        editorRemove(editor, model, existingKey());
                    } else if (r < 4 && !model.isEmpty()) {
                        editorPut(editor, model, existingKey());
                    } else {
                        editorPut(editor, model, next);
                        next += random.nextInt(1, 4);
                    }
                }
                tree = editor.build();
                fullCheck(tree, model, "tree after ascending batch");
                fullCheck(base, baseModel, "tree before ascending batch");
                maybeSnapshot(8);
            }
            checkAllSnapshots();
        }

        /** Loads up to {@code attempts} random keys (fewer distinct ones in the small range). */
        void loadWithBuilder(int attempts) {
            TreeMap<Long, byte[]> loaded = new TreeMap<>();
            for (int i = 0; i < attempts; i++) {
                loaded.put(nextKey(), newValue());
            }
            LongRadixTree.Builder builder = LongRadixTree.builder();
            for (Map.Entry<Long, byte[]> e : loaded.entrySet()) {
                builder.add(e.getKey(), e.getValue());
            }
            tree = builder.build();
            model = loaded;
            op = "builder";
            fullCheck(tree, model, "built tree");
            snapshots.add(new Snapshot(tree, new TreeMap<>(model)));
        }

        // ---- single steps

        void persistentStep() {
            step++;
            updatePhase();
            int r = random.nextInt(100);
            int puts = growing ? 60 : 20;
            int removes = growing ? 20 : 60;
            LongRadixTree before = tree;
            if (r < puts) {
                long key = nextKey();
                byte[] value = newValue();
                if (random.nextInt(50) == 0) {
                    long negative = NEGATIVE_KEYS[random.nextInt(NEGATIVE_KEYS.length)];
                    describe("put negative", negative);
                    assertThrows(IllegalArgumentException.class, () -> before.put(negative, value),
                            this::where);
                }
                describe("put", key);
                byte[] previous = model.put(key, value);
                tree = tree.put(key, value);
                assertSame(value, tree.get(key), this::where);
                assertSame(previous, before.get(key), () -> where() + " (old tree changed)");
            } else if (r < puts + removes) {
                long key = removeKey();
                describe("remove", key);
                byte[] previous = model.remove(key);
                tree = tree.remove(key);
                assertNull(tree.get(key), this::where);
                assertSame(previous, before.get(key), () -> where() + " (old tree changed)");
                if (previous == null) {
                    assertSame(before, tree, () -> where() + " (absent key must return same tree)");
                }
            } else if (r < 90) {
                long key = random.nextBoolean() && !model.isEmpty() ? existingKey() : probeKey();
                describe("get", key);
                assertSame(model.get(key), tree.get(key), this::where);
            } else {
                long from = probeKey();
                describe("cursor", from);
                checkCursor(tree, model, from, random.nextInt(1, 80), "tree");
            }
            assertEquals(model.size(), tree.size(), this::where);
            afterStep();
        }

        /** Runs one editor batch, sometimes interleaved with a second editor on the same base. */
        void batch(int length) {
            LongRadixTree base = tree;
            long baseSize = base.size();
            Map<Long, byte[]> baseValues = new HashMap<>();
            LongRadixTree.Editor editor = tree.edit();
            LongRadixTree.Editor side = random.nextInt(20) == 0 ? tree.edit() : null;
            TreeMap<Long, byte[]> sideModel = side != null ? new TreeMap<>(model) : null;
            long sinceEditorCheck = 0;
            for (int i = 0; i < length; i++) {
                step++;
                updatePhase();
                boolean onSide = side != null && random.nextInt(3) == 0;
                LongRadixTree.Editor target = onSide ? side : editor;
                TreeMap<Long, byte[]> targetModel = onSide ? sideModel : model;
                int r = random.nextInt(100);
                int puts = growing ? 60 : 20;
                int removes = growing ? 20 : 60;
                long key;
                if (r < puts) {
                    key = nextKey();
                    baseValues.computeIfAbsent(key, base::get);
                    editorPut(target, targetModel, key);
                } else if (r < puts + removes) {
                    key = removeKey();
                    baseValues.computeIfAbsent(key, base::get);
                    editorRemove(target, targetModel, key);
                } else {
                    key = random.nextBoolean() && !model.isEmpty() ? existingKey() : probeKey();
                    describe("editor get", key);
                    assertSame(targetModel.get(key), target.get(key), this::where);
                }
                assertEquals(targetModel.size(), target.size(), this::where);
                if (++sinceEditorCheck > model.size() / 16) {
                    sinceEditorCheck = 0;
                    describe("editor contents", key);
                    for (Map.Entry<Long, byte[]> e : model.entrySet()) {
                        assertSame(e.getValue(), editor.get(e.getKey()), this::where);
                    }
                }
            }
            describe("build", 0);
            tree = editor.build();
            assertThrows(IllegalStateException.class, () -> editor.put(1, new byte[0]),
                    this::where);
            assertEquals(model.size(), tree.size(), this::where);
            describe("base unchanged after build", 0);
            assertEquals(baseSize, base.size(), this::where);
            for (Map.Entry<Long, byte[]> e : baseValues.entrySet()) {
                assertSame(e.getValue(), base.get(e.getKey()), this::where);
            }
            if (side != null) {
                describe("second editor", 0);
                LongRadixTree sideTree = side.build();
                fullCheck(sideTree, sideModel, "second editor's tree");
                // Editing the side tree further must not disturb the main tree.
                LongRadixTree.Editor again = sideTree.edit();
                for (int i = 0; i < 50; i++) {
                    step++;
                    editorPut(again, sideModel, nextKey());
                    editorRemove(again, sideModel, removeKey(sideModel));
                }
                fullCheck(again.build(), sideModel, "second editor's tree, edited again");
                fullCheck(tree, model, "tree next to a second editor");
            }
            afterStep();
        }

        void editorPut(LongRadixTree.Editor editor, TreeMap<Long, byte[]> target, long key) {
            byte[] value = newValue();
            describe("editor put", key);
            target.put(key, value);
            editor.put(key, value);
            assertSame(value, editor.get(key), this::where);
        }

        void editorRemove(LongRadixTree.Editor editor, TreeMap<Long, byte[]> target, long key) {
            describe("editor remove", key);
            boolean present = target.remove(key) != null;
            assertEquals(present, editor.remove(key), this::where);
            assertNull(editor.get(key), this::where);
        }

        void afterStep() {
            maybeSnapshot(256);
            if (++stepsSinceFullCheck > model.size() / 32) {
                stepsSinceFullCheck = 0;
                fullCheck(tree, model, "tree");
                if (!snapshots.isEmpty()) {
                    Snapshot s = snapshots.get(random.nextInt(snapshots.size()));
                    fullCheck(s.tree(), s.model(), "snapshot");
                }
            }
        }

        void maybeSnapshot(int oneIn) {
            if (random.nextInt(oneIn) != 0) {
                return;
            }
            if (snapshots.size() >= 8) {
                snapshots.remove(random.nextInt(snapshots.size()));
            }
            snapshots.add(new Snapshot(tree, new TreeMap<>(model)));
        }

        void checkAllSnapshots() {
            fullCheck(tree, model, "final tree");
            for (Snapshot s : snapshots) {
                fullCheck(s.tree(), s.model(), "snapshot at end");
            }
        }

        // ---- checks

        void fullCheck(LongRadixTree t, NavigableMap<Long, byte[]> m, String what) {
            assertEquals(m.size(), t.size(), () -> where() + " size of " + what);
            assertEquals(m.isEmpty(), t.isEmpty(), () -> where() + " isEmpty of " + what);
            if (m.isEmpty()) {
                assertThrows(NoSuchElementException.class, t::maxKey, () -> where() + " " + what);
            } else {
                assertEquals(m.lastKey().longValue(), t.maxKey(), in("maxKey of " + what));
            }
            assertEquals(m.isEmpty() ? 0 : minimalHeight(m.lastKey()), t.height(),
                    in("height (grown and collapsed to the largest key) of " + what));
            t.verifyStructure();
            LongRadixTree.Cursor cursor = t.cursor(Long.MIN_VALUE);
            for (Map.Entry<Long, byte[]> e : m.entrySet()) {
                long key = e.getKey();
                assertTrue(cursor.next(),
                        () -> where() + " iteration ended before " + key + " in " + what);
                assertEquals(key, cursor.key(), () -> where() + " iteration of " + what);
                assertSame(e.getValue(), cursor.value(), () -> where() + " iteration of " + what);
                assertSame(e.getValue(), t.get(key),
                        () -> where() + " get(" + key + ") of " + what);
            }
            assertFalse(cursor.next(), in("extra entries in iteration of " + what));
            assertFalse(cursor.next(), () -> where() + " exhausted cursor of " + what);
            for (int i = 0; i < 4; i++) {
                long key = probeKey();
                assertSame(m.get(key), t.get(key), () -> where() + " get(" + key + ") of " + what);
            }
            checkCursor(t, m, probeKey(), 20, what);
        }

        void checkCursor(LongRadixTree t, NavigableMap<Long, byte[]> m, long from, int limit,
                String what) {
            LongRadixTree.Cursor cursor = t.cursor(from);
            Iterator<Map.Entry<Long, byte[]>> expected =
                    m.tailMap(from, true).entrySet().iterator();
            for (int i = 0; i < limit; i++) {
                boolean has = expected.hasNext();
                assertEquals(has, cursor.next(),
                        () -> where() + " cursor(" + from + ") of " + what);
                if (!has) {
                    assertThrows(IllegalStateException.class, cursor::key, this::where);
                    return;
                }
                Map.Entry<Long, byte[]> e = expected.next();
                assertEquals(e.getKey().longValue(), cursor.key(),
                        () -> where() + " cursor(" + from + ") of " + what);
                assertSame(e.getValue(), cursor.value(),
                        () -> where() + " cursor(" + from + ") of " + what);
            }
        }

        // ---- generators

        /** Alternates growing and shrinking phases so trees both deepen and empty out. */
        void updatePhase() {
            if (step >= phaseEnd) {
                growing = model.isEmpty() || random.nextInt(3) != 0;
                phaseEnd = step + random.nextInt(100, smallKeys ? 1500 : 6000);
            }
        }

        /** A key to write: in {@code [0, Long.MAX_VALUE]}. */
        long nextKey() {
            int r = random.nextInt(100);
            if (r < 3) {
                return EXTREME_KEYS[random.nextInt(EXTREME_KEYS.length)];
            }
            if (smallKeys) {
                return random.nextInt(0, SMALL_RANGE);
            }
            if (r < 15 && !model.isEmpty()) {
                return nonNegative(existingKey() + random.nextInt(-3, 4));
            }
            if (r < 55) {
                long boundary = EXTREME_KEYS[random.nextInt(EXTREME_KEYS.length)];
                return nonNegative(boundary + random.nextInt(-300, 300));
            }
            return r < 85 ? anyMagnitude() : random.nextLong() >>> 1;
        }

        /** A key to read, remove or start a cursor at: sometimes negative. */
        long probeKey() {
            return random.nextInt(100) < 5
                    ? NEGATIVE_KEYS[random.nextInt(NEGATIVE_KEYS.length)]
                    : nextKey();
        }

        /** A non-negative key whose bit length is uniform in [0, 63). */
        long anyMagnitude() {
            return random.nextLong() >>> random.nextInt(1, 64);
        }

        long removeKey() {
            return removeKey(model);
        }

        long removeKey(TreeMap<Long, byte[]> m) {
            if (m.isEmpty() || random.nextInt(10) < 3) {
                return probeKey();
            }
            Long key = m.ceilingKey(smallKeys ? random.nextInt(0, SMALL_RANGE) : anyMagnitude());
            return key != null ? key : m.firstKey();
        }

        long existingKey() {
            long probe = smallKeys ? random.nextInt(0, SMALL_RANGE) : anyMagnitude();
            Long key = model.ceilingKey(probe);
            return key != null ? key : model.lastKey();
        }

        /** Maps an overflowed or negative key into {@code [0, Long.MAX_VALUE]}. */
        static long nonNegative(long key) {
            return key & Long.MAX_VALUE;
        }

        /** The fewest 8-bit levels that cover {@code maxKey}. */
        static int minimalHeight(long maxKey) {
            return maxKey == 0 ? 1 : (Long.SIZE - Long.numberOfLeadingZeros(maxKey) + 7) / 8;
        }

        byte[] newValue() {
            return new byte[] {(byte) step, (byte) (step >>> 8), (byte) (step >>> 16)};
        }

        void describe(String operation, long key) {
            op = operation;
            opKey = key;
        }

        /** A lazy failure message: the current step plus {@code detail}. */
        Supplier<String> in(String detail) {
            return () -> where() + " " + detail;
        }

        String where() {
            return "step=" + step + " op=" + op + " key=" + opKey + " size=" + model.size();
        }
    }
}
