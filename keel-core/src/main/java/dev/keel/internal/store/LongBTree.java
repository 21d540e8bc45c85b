package dev.keel.internal.store;

import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A persistent (immutable, path-copying) B+tree from {@code long} keys to non-null {@code byte[]}
 * values: the in-memory MVCC store. Every snapshot holds one root; readers never lock.
 *
 * <p>Layout: a leaf holds {@code long[] keys} and {@code byte[][] values} in ascending key order;
 * an inner node holds {@code count} children in {@code Node[] children} and {@code count - 1}
 * separators in {@code long[] keys}, where child {@code i} holds the keys {@code k} with
 * {@code keys[i - 1] <= k < keys[i]}. A node has at most {@link #FANOUT} entries or children.
 * Keys are never boxed. All leaves are at the same depth. The entry count is kept in the tree
 * object, so {@link #size()} is O(1). The arrays of a published node have exactly {@code count}
 * slots ({@code count - 1} for inner keys), so a tree costs little more than its entries.
 * Value arrays are stored by reference, never copied: callers must not modify them afterwards.
 *
 * <p>Sharing: {@link #put} and {@link #remove} copy only the path from the root to the changed
 * leaf (O(FANOUT * height) work) and share every other node with the old tree, which stays
 * unchanged. Arrays a change does not affect are shared too (updating a value keeps the leaf's
 * {@code keys} array). Nodes of a tree are never modified once the tree is published.
 *
 * <p>Ownership (the transient {@link Editor}, like Clojure's transients): an editor carries a
 * fresh token object. A node whose {@code edit} field is that token was created by this editor,
 * is reachable only from the editor, and is modified in place; any other node belongs to a
 * published tree and is copied, with room for {@link #FANOUT} slots, the first time the editor
 * touches it. Because copies are made root-first, the owned nodes form a connected top part of
 * the editor's tree. {@link Editor#build()} walks that part once, trims its arrays to the exact
 * size and clears the tokens, so later editors copy these nodes like any other published node.
 *
 * <p>Splits: a full node splits in half, except when the new entry goes after the node's last
 * entry; then the node stays full and the new right sibling starts with one entry. Ascending
 * inserts (new entity ids, {@link Builder}) therefore produce packed nodes.
 *
 * <p>Deletion: nodes may become underfull and are never merged or rebalanced; that keeps
 * removal a single path copy. Because published arrays are trimmed to their count, an underfull
 * node costs only its object headers beyond its entries, so heap stays proportional to the live
 * entries, and the depth never grows through deletion. A leaf or inner node that becomes empty
 * is removed from its parent, so no empty node is ever reachable (which keeps
 * {@link #maxKey()} and cursors simple), and a root that is an inner node with a single child
 * collapses into that child, repeatedly.
 *
 * <p>Durability: none; the tree lives on the heap only and is rebuilt from a checkpoint (via
 * {@link Builder}) and the log.
 *
 * <p>Thread-safety: a {@code LongBTree} is immutable and safe to share between threads without
 * synchronization; its root is a final field written after all its nodes, so even a racy
 * publication shows complete nodes. A {@link Cursor}, an {@link Editor} and a {@link Builder}
 * are each confined to one thread.
 */
public final class LongBTree {

    /** Maximum number of entries in a leaf and of children in an inner node. */
    public static final int FANOUT = 64;

    private static final LongBTree EMPTY = new LongBTree(null, 0);

    /** The root node, or {@code null} when the tree is empty. */
    private final Node root;
    private final long size;

    private LongBTree(Node root, long size) {
        this.root = root;
        this.size = size;
    }

    public static LongBTree empty() {
        return EMPTY;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Returns the value stored under {@code key}, or {@code null} if absent. */
    public byte[] get(long key) {
        return find(root, key);
    }

    public long size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /**
     * Returns the largest key.
     *
     * @throws NoSuchElementException if the tree is empty
     */
    public long maxKey() {
        Node node = root;
        if (node == null) {
            throw new NoSuchElementException("maxKey() of an empty tree");
        }
        while (node instanceof Inner inner) {
            node = inner.children[inner.count - 1];
        }
        return node.keys[node.count - 1];
    }

    /** The number of levels: 0 when empty, 1 when the root is a leaf. For diagnostics and tests. */
    int height() {
        int height = 0;
        for (Node node = root; node != null; height++) {
            node = node instanceof Inner inner ? inner.children[0] : null;
        }
        return height;
    }

    /** Returns a tree in which {@code key} maps to {@code value}; {@code this} is unchanged. */
    public LongBTree put(long key, byte[] value) {
        Objects.requireNonNull(value, "value");
        Change change = new Change();
        Node newRoot = putRoot(root, key, value, null, change);
        return new LongBTree(newRoot, change.added ? size + 1 : size);
    }

    /**
     * Returns a tree without {@code key}; {@code this} is unchanged. Returns {@code this} if the
     * key is absent.
     */
    public LongBTree remove(long key) {
        Change change = new Change();
        Node newRoot = removeRoot(root, key, null, change);
        if (change.removed == null) {
            return this;
        }
        return newRoot == null ? EMPTY : new LongBTree(newRoot, size - 1);
    }

    /** Starts a batch of changes on top of this tree; {@code this} is never changed by it. */
    public Editor edit() {
        return new Editor(this);
    }

    /** A cursor over the entries with keys {@code >= fromKeyInclusive}, ascending. */
    public Cursor cursor(long fromKeyInclusive) {
        return new Cursor(root, fromKeyInclusive);
    }

    // ---------------------------------------------------------------------------------------
    // Nodes

    private abstract static sealed class Node permits Leaf, Inner {
        /** The token of the editor that owns this node, or {@code null} once published. */
        Object edit;
        /** Leaf: the entry keys. Inner: the {@code count - 1} separators. */
        long[] keys;
        /** Leaf: number of entries. Inner: number of children. Never 0 once reachable. */
        int count;

        Node(Object edit, long[] keys, int count) {
            this.edit = edit;
            this.keys = keys;
            this.count = count;
        }
    }

    private static final class Leaf extends Node {
        byte[][] values;

        Leaf(Object edit, long[] keys, byte[][] values, int count) {
            super(edit, keys, count);
            this.values = values;
        }

        /** A new leaf of {@code count} entries: room for FANOUT if owned, else exactly count. */
        static Leaf allocate(Object edit, int count) {
            int capacity = edit == null ? count : FANOUT;
            return new Leaf(edit, new long[capacity], new byte[capacity][], count);
        }

        /** This leaf if {@code edit} owns it, else an owned copy with room for FANOUT entries. */
        Leaf editable(Object edit) {
            if (this.edit == edit) {
                return this;
            }
            return new Leaf(edit, Arrays.copyOf(keys, FANOUT), Arrays.copyOf(values, FANOUT),
                    count);
        }
    }

    private static final class Inner extends Node {
        Node[] children;

        Inner(Object edit, long[] keys, Node[] children, int count) {
            super(edit, keys, count);
            this.children = children;
        }

        /** A new inner node of {@code count} children: room for FANOUT if owned, else exact. */
        static Inner allocate(Object edit, int count) {
            int capacity = edit == null ? count : FANOUT;
            return new Inner(edit, new long[capacity - 1], new Node[capacity], count);
        }

        Inner editable(Object edit) {
            if (this.edit == edit) {
                return this;
            }
            return new Inner(edit, Arrays.copyOf(keys, FANOUT - 1), Arrays.copyOf(children, FANOUT),
                    count);
        }
    }

    /** Out-parameters of one recursive put or remove. */
    private static final class Change {
        /** Put: the new right sibling of the returned node after a split, else null. */
        Node right;
        /** Put: the smallest key under {@link #right}. */
        long splitKey;
        /** Put: whether the key was new. */
        boolean added;
        /** Remove: the removed value, or null if the key was absent. */
        byte[] removed;
    }

    // ---------------------------------------------------------------------------------------
    // Search

    private static byte[] find(Node node, long key) {
        if (node == null) {
            return null;
        }
        while (node instanceof Inner inner) {
            node = inner.children[childIndex(inner.keys, inner.count - 1, key)];
        }
        Leaf leaf = (Leaf) node;
        int i = Arrays.binarySearch(leaf.keys, 0, leaf.count, key);
        return i >= 0 ? leaf.values[i] : null;
    }

    /** The number of separators {@code <= key}, which is the index of the child holding it. */
    private static int childIndex(long[] separators, int n, long key) {
        int low = 0;
        int high = n;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (separators[mid] <= key) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    // ---------------------------------------------------------------------------------------
    // Put. {@code edit == null}: persistent, copy every changed node with exact-size arrays.
    // Otherwise: modify nodes owned by {@code edit} in place, copy the others once.

    private static Node putRoot(Node root, long key, byte[] value, Object edit, Change change) {
        if (root == null) {
            Leaf leaf = Leaf.allocate(edit, 1);
            leaf.keys[0] = key;
            leaf.values[0] = value;
            change.added = true;
            return leaf;
        }
        Node newRoot = put(root, key, value, edit, change);
        if (change.right == null) {
            return newRoot;
        }
        Inner inner = Inner.allocate(edit, 2);
        inner.keys[0] = change.splitKey;
        inner.children[0] = newRoot;
        inner.children[1] = change.right;
        change.right = null;
        return inner;
    }

    private static Node put(Node node, long key, byte[] value, Object edit, Change change) {
        return node instanceof Inner inner
                ? putInner(inner, key, value, edit, change)
                : putLeaf((Leaf) node, key, value, edit, change);
    }

    private static Node putLeaf(Leaf leaf, long key, byte[] value, Object edit, Change change) {
        int n = leaf.count;
        int i = Arrays.binarySearch(leaf.keys, 0, n, key);
        if (i >= 0) {
            change.added = false;
            if (edit == null) {
                byte[][] values = Arrays.copyOf(leaf.values, n);
                values[i] = value;
                return new Leaf(null, leaf.keys, values, n);
            }
            Leaf target = leaf.editable(edit);
            target.values[i] = value;
            return target;
        }
        change.added = true;
        int ins = -i - 1;
        if (n < FANOUT) {
            if (edit == null) {
                Leaf copy = Leaf.allocate(null, n + 1);
                copyAround(leaf.keys, ins, 0, n + 1, copy.keys);
                copyAround(leaf.values, ins, 0, n + 1, copy.values);
                copy.keys[ins] = key;
                copy.values[ins] = value;
                return copy;
            }
            Leaf target = leaf.editable(edit);
            System.arraycopy(target.keys, ins, target.keys, ins + 1, n - ins);
            System.arraycopy(target.values, ins, target.values, ins + 1, n - ins);
            target.keys[ins] = key;
            target.values[ins] = value;
            target.count = n + 1;
            return target;
        }
        // Split the n + 1 entries: the right part first, while the old arrays are intact.
        int leftCount = ins == n ? n : (n + 1) / 2;
        Leaf right = Leaf.allocate(edit, n + 1 - leftCount);
        copyAround(leaf.keys, ins, leftCount, n + 1, right.keys);
        copyAround(leaf.values, ins, leftCount, n + 1, right.values);
        if (ins >= leftCount) {
            right.keys[ins - leftCount] = key;
            right.values[ins - leftCount] = value;
        }
        Leaf left;
        if (edit == null) {
            if (leftCount == n) {
                left = leaf;
            } else {
                left = Leaf.allocate(null, leftCount);
                copyAround(leaf.keys, ins, 0, leftCount, left.keys);
                copyAround(leaf.values, ins, 0, leftCount, left.values);
                if (ins < leftCount) {
                    left.keys[ins] = key;
                    left.values[ins] = value;
                }
            }
        } else {
            left = leaf.editable(edit);
            if (ins < leftCount) {
                System.arraycopy(left.keys, ins, left.keys, ins + 1, leftCount - 1 - ins);
                System.arraycopy(left.values, ins, left.values, ins + 1, leftCount - 1 - ins);
                left.keys[ins] = key;
                left.values[ins] = value;
            }
            Arrays.fill(left.values, leftCount, n, null);
            left.count = leftCount;
        }
        change.right = right;
        change.splitKey = right.keys[0];
        return left;
    }

    private static Node putInner(Inner node, long key, byte[] value, Object edit, Change change) {
        int n = node.count;
        int ci = childIndex(node.keys, n - 1, key);
        Node child = node.children[ci];
        Node newChild = put(child, key, value, edit, change);
        Node right = change.right;
        if (right == null) {
            return replaceChild(node, ci, child, newChild, edit);
        }
        long separator = change.splitKey;
        change.right = null;
        // Merged view: separators with `separator` at index ci (n in all), children with
        // `newChild` at ci and `right` at ci + 1 (n + 1 in all).
        if (n < FANOUT) {
            if (edit == null) {
                Inner copy = Inner.allocate(null, n + 1);
                copyAround(node.keys, ci, 0, n, copy.keys);
                copyAround(node.children, ci + 1, 0, n + 1, copy.children);
                copy.keys[ci] = separator;
                copy.children[ci] = newChild;
                copy.children[ci + 1] = right;
                return copy;
            }
            Inner target = node.editable(edit);
            System.arraycopy(target.keys, ci, target.keys, ci + 1, n - 1 - ci);
            System.arraycopy(target.children, ci + 1, target.children, ci + 2, n - 1 - ci);
            target.keys[ci] = separator;
            target.children[ci] = newChild;
            target.children[ci + 1] = right;
            target.count = n + 1;
            return target;
        }
        // Split: the left node keeps leftCount children, the separator between the halves moves up.
        int leftCount = ci == n - 1 ? n : (n + 1) / 2;
        long pushedUp = mergedKey(node.keys, ci, separator, leftCount - 1);
        Inner rightNode = Inner.allocate(edit, n + 1 - leftCount);
        copyAround(node.keys, ci, leftCount, n, rightNode.keys);
        copyAround(node.children, ci + 1, leftCount, n + 1, rightNode.children);
        if (ci >= leftCount) {
            rightNode.keys[ci - leftCount] = separator;
            rightNode.children[ci - leftCount] = newChild;
        }
        if (ci + 1 >= leftCount) {
            rightNode.children[ci + 1 - leftCount] = right;
        }
        Inner left;
        if (edit == null) {
            left = Inner.allocate(null, leftCount);
            copyAround(node.keys, ci, 0, leftCount - 1, left.keys);
            copyAround(node.children, ci + 1, 0, leftCount, left.children);
        } else {
            left = node.editable(edit);
            if (ci < leftCount - 1) {
                System.arraycopy(left.keys, ci, left.keys, ci + 1, leftCount - 2 - ci);
                System.arraycopy(left.children, ci + 1, left.children, ci + 2, leftCount - 2 - ci);
            }
            Arrays.fill(left.children, leftCount, n, null);
            left.count = leftCount;
        }
        if (ci < leftCount - 1) {
            left.keys[ci] = separator;
            left.children[ci + 1] = right;
        }
        if (ci < leftCount) {
            left.children[ci] = newChild;
        }
        change.right = rightNode;
        change.splitKey = pushedUp;
        return left;
    }

    /** Element {@code j} of {@code keys} with {@code inserted} placed at index {@code gap}. */
    private static long mergedKey(long[] keys, int gap, long inserted, int j) {
        return j < gap ? keys[j] : j == gap ? inserted : keys[j - 1];
    }

    /**
     * Copies positions {@code [from, to)} of the sequence "{@code src} with a one-slot gap at
     * {@code gap}" to {@code dst[0..)}. The caller fills the gap slot itself, if it is in range.
     */
    private static void copyAround(Object src, int gap, int from, int to, Object dst) {
        int beforeGapEnd = Math.min(to, gap);
        if (from < beforeGapEnd) {
            System.arraycopy(src, from, dst, 0, beforeGapEnd - from);
        }
        int afterGapStart = Math.max(from, gap + 1);
        if (afterGapStart < to) {
            System.arraycopy(src, afterGapStart - 1, dst, afterGapStart - from, to - afterGapStart);
        }
    }

    private static Node replaceChild(Inner node, int ci, Node child, Node newChild, Object edit) {
        if (newChild == child) {
            return node;
        }
        if (edit == null) {
            Node[] children = Arrays.copyOf(node.children, node.count);
            children[ci] = newChild;
            return new Inner(null, node.keys, children, node.count);
        }
        Inner target = node.editable(edit);
        target.children[ci] = newChild;
        return target;
    }

    // ---------------------------------------------------------------------------------------
    // Remove. Returns the new node, or null if it became empty.

    private static Node removeRoot(Node root, long key, Object edit, Change change) {
        if (root == null) {
            return null;
        }
        Node newRoot = remove(root, key, edit, change);
        while (newRoot instanceof Inner inner && inner.count == 1) {
            newRoot = inner.children[0];
        }
        return newRoot;
    }

    private static Node remove(Node node, long key, Object edit, Change change) {
        if (node instanceof Leaf leaf) {
            return removeFromLeaf(leaf, key, edit, change);
        }
        Inner inner = (Inner) node;
        int n = inner.count;
        int ci = childIndex(inner.keys, n - 1, key);
        Node child = inner.children[ci];
        Node newChild = remove(child, key, edit, change);
        if (newChild != null) {
            return replaceChild(inner, ci, child, newChild, edit);
        }
        if (n == 1) {
            return null;
        }
        // Drop the child and one separator next to it; no live key lies between them.
        int ki = ci == 0 ? 0 : ci - 1;
        if (edit == null) {
            Inner copy = Inner.allocate(null, n - 1);
            System.arraycopy(inner.keys, 0, copy.keys, 0, ki);
            System.arraycopy(inner.keys, ki + 1, copy.keys, ki, n - 2 - ki);
            System.arraycopy(inner.children, 0, copy.children, 0, ci);
            System.arraycopy(inner.children, ci + 1, copy.children, ci, n - 1 - ci);
            return copy;
        }
        Inner target = inner.editable(edit);
        System.arraycopy(target.keys, ki + 1, target.keys, ki, n - 2 - ki);
        System.arraycopy(target.children, ci + 1, target.children, ci, n - 1 - ci);
        target.children[n - 1] = null;
        target.count = n - 1;
        return target;
    }

    private static Node removeFromLeaf(Leaf leaf, long key, Object edit, Change change) {
        int n = leaf.count;
        int i = Arrays.binarySearch(leaf.keys, 0, n, key);
        if (i < 0) {
            return leaf;
        }
        change.removed = leaf.values[i];
        if (n == 1) {
            return null;
        }
        if (edit == null) {
            Leaf copy = Leaf.allocate(null, n - 1);
            System.arraycopy(leaf.keys, 0, copy.keys, 0, i);
            System.arraycopy(leaf.values, 0, copy.values, 0, i);
            System.arraycopy(leaf.keys, i + 1, copy.keys, i, n - 1 - i);
            System.arraycopy(leaf.values, i + 1, copy.values, i, n - 1 - i);
            return copy;
        }
        Leaf target = leaf.editable(edit);
        System.arraycopy(target.keys, i + 1, target.keys, i, n - 1 - i);
        System.arraycopy(target.values, i + 1, target.values, i, n - 1 - i);
        target.values[n - 1] = null;
        target.count = n - 1;
        return target;
    }

    /** Publishes the nodes owned by {@code edit}: trims their arrays and clears the token. */
    private static void seal(Node node, Object edit) {
        if (node.edit != edit) {
            return;
        }
        node.edit = null;
        int n = node.count;
        if (node instanceof Inner inner) {
            for (int i = 0; i < n; i++) {
                seal(inner.children[i], edit);
            }
            if (inner.children.length != n) {
                inner.keys = Arrays.copyOf(inner.keys, n - 1);
                inner.children = Arrays.copyOf(inner.children, n);
            }
        } else {
            Leaf leaf = (Leaf) node;
            if (leaf.keys.length != n) {
                leaf.keys = Arrays.copyOf(leaf.keys, n);
                leaf.values = Arrays.copyOf(leaf.values, n);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Editor, Builder, Cursor

    /**
     * A transient batch of changes on top of a tree. Nodes this editor creates are modified in
     * place; nodes shared with the base tree are copied once, on first touch. The base tree never
     * changes. After {@link #build()} every method throws {@link IllegalStateException}.
     * Confined to one thread.
     */
    public static final class Editor {
        private final LongBTree base;
        /** The ownership token of this editor's nodes; null once built. */
        private Object token = new Object();
        private final Change change = new Change();
        private Node root;
        private long size;

        private Editor(LongBTree base) {
            this.base = base;
            this.root = base.root;
            this.size = base.size;
        }

        public byte[] get(long key) {
            checkOpen();
            return find(root, key);
        }

        public void put(long key, byte[] value) {
            checkOpen();
            Objects.requireNonNull(value, "value");
            root = putRoot(root, key, value, token, change);
            if (change.added) {
                size++;
            }
        }

        /** Removes {@code key}; returns whether it was present. */
        public boolean remove(long key) {
            checkOpen();
            change.removed = null;
            root = removeRoot(root, key, token, change);
            if (change.removed == null) {
                return false;
            }
            change.removed = null;
            size--;
            return true;
        }

        /** The number of entries in the tree being edited. */
        public long size() {
            checkOpen();
            return size;
        }

        /** Returns the edited tree as a persistent tree and closes this editor. */
        public LongBTree build() {
            checkOpen();
            Object edit = token;
            token = null;
            if (root == base.root) {
                return base;
            }
            if (root == null) {
                return EMPTY;
            }
            seal(root, edit);
            return new LongBTree(root, size);
        }

        private void checkOpen() {
            if (token == null) {
                throw new IllegalStateException("editor already built");
            }
        }
    }

    /**
     * Builds a packed tree from entries added in strictly ascending key order, bottom-up in
     * O(n): leaves and inner nodes are full except the last one of each level. Confined to one
     * thread; {@link #build()} may be called once.
     */
    public static final class Builder {
        private long[] keys = new long[FANOUT];
        private byte[][] values = new byte[FANOUT][];
        private int leafCount;
        /** Completed leaves and the smallest key of each. */
        private Node[] leaves = new Node[16];
        private long[] leafMinKeys = new long[16];
        private int leafTotal;
        private long size;
        private long lastKey;
        private boolean built;

        private Builder() {
        }

        /**
         * Appends an entry.
         *
         * @throws IllegalArgumentException if {@code key} is not greater than the previous key
         */
        public Builder add(long key, byte[] value) {
            if (built) {
                throw new IllegalStateException("builder already built");
            }
            Objects.requireNonNull(value, "value");
            if (size > 0 && key <= lastKey) {
                throw new IllegalArgumentException(
                        "keys must be strictly ascending: " + key + " after " + lastKey);
            }
            keys[leafCount] = key;
            values[leafCount] = value;
            leafCount++;
            lastKey = key;
            size++;
            if (leafCount == FANOUT) {
                flushLeaf();
            }
            return this;
        }

        public LongBTree build() {
            if (built) {
                throw new IllegalStateException("builder already built");
            }
            built = true;
            if (leafCount > 0) {
                flushLeaf();
            }
            keys = null;
            values = null;
            if (leafTotal == 0) {
                return EMPTY;
            }
            Node[] level = leaves;
            long[] minKeys = leafMinKeys;
            int levelCount = leafTotal;
            leaves = null;
            leafMinKeys = null;
            while (levelCount > 1) {
                int parentCount = (levelCount + FANOUT - 1) / FANOUT;
                Node[] parents = new Node[parentCount];
                long[] parentMinKeys = new long[parentCount];
                for (int p = 0; p < parentCount; p++) {
                    int from = p * FANOUT;
                    int count = Math.min(FANOUT, levelCount - from);
                    long[] separators = Arrays.copyOfRange(minKeys, from + 1, from + count);
                    Node[] children = Arrays.copyOfRange(level, from, from + count);
                    parents[p] = new Inner(null, separators, children, count);
                    parentMinKeys[p] = minKeys[from];
                }
                level = parents;
                minKeys = parentMinKeys;
                levelCount = parentCount;
            }
            return new LongBTree(level[0], size);
        }

        private void flushLeaf() {
            Leaf leaf = new Leaf(null, Arrays.copyOf(keys, leafCount),
                    Arrays.copyOf(values, leafCount), leafCount);
            if (leafTotal == leaves.length) {
                leaves = Arrays.copyOf(leaves, leafTotal * 2);
                leafMinKeys = Arrays.copyOf(leafMinKeys, leafTotal * 2);
            }
            leaves[leafTotal] = leaf;
            leafMinKeys[leafTotal] = keys[0];
            leafTotal++;
            Arrays.fill(values, null);
            leafCount = 0;
        }
    }

    /**
     * Forward iteration in ascending key order over a tree. Starts before the first entry:
     * call {@link #next()} first. Confined to one thread; the tree itself never changes.
     */
    public static final class Cursor {
        /** The inner nodes on the path to the current leaf, root first, and the child taken. */
        private final Inner[] path;
        private final int[] pathIndex;
        /** The current leaf, or null when exhausted. */
        private Leaf leaf;
        private int nextIndex;
        private boolean positioned;
        private long key;
        private byte[] value;

        private Cursor(Node root, long fromKey) {
            int height = 0;
            for (Node node = root; node instanceof Inner inner; node = inner.children[0]) {
                height++;
            }
            path = new Inner[height];
            pathIndex = new int[height];
            if (root == null) {
                return;
            }
            Node node = root;
            for (int depth = 0; node instanceof Inner inner; depth++) {
                int ci = childIndex(inner.keys, inner.count - 1, fromKey);
                path[depth] = inner;
                pathIndex[depth] = ci;
                node = inner.children[ci];
            }
            leaf = (Leaf) node;
            int i = Arrays.binarySearch(leaf.keys, 0, leaf.count, fromKey);
            nextIndex = i >= 0 ? i : -i - 1;
        }

        /** Moves to the next entry; returns false (and stays exhausted) if there is none. */
        public boolean next() {
            while (leaf != null && nextIndex >= leaf.count) {
                nextLeaf();
            }
            if (leaf == null) {
                positioned = false;
                value = null;
                return false;
            }
            key = leaf.keys[nextIndex];
            value = leaf.values[nextIndex];
            nextIndex++;
            positioned = true;
            return true;
        }

        /**
         * The current key.
         *
         * @throws IllegalStateException unless the last {@link #next()} returned true
         */
        public long key() {
            checkPositioned();
            return key;
        }

        /**
         * The current value.
         *
         * @throws IllegalStateException unless the last {@link #next()} returned true
         */
        public byte[] value() {
            checkPositioned();
            return value;
        }

        private void nextLeaf() {
            int depth = path.length - 1;
            while (depth >= 0 && pathIndex[depth] + 1 >= path[depth].count) {
                depth--;
            }
            if (depth < 0) {
                leaf = null;
                return;
            }
            pathIndex[depth]++;
            Node node = path[depth].children[pathIndex[depth]];
            for (int d = depth + 1; d < path.length; d++) {
                Inner inner = (Inner) node;
                path[d] = inner;
                pathIndex[d] = 0;
                node = inner.children[0];
            }
            leaf = (Leaf) node;
            nextIndex = 0;
        }

        private void checkPositioned() {
            if (!positioned) {
                throw new IllegalStateException("cursor is not on an entry: call next() first");
            }
        }
    }
}
