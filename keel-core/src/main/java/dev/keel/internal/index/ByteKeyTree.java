package dev.keel.internal.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A persistent (immutable, path-copying) sorted set of {@code byte[]} keys: the entries of the
 * secondary indexes in the in-memory MVCC store. Every published version is immutable and read
 * by other threads; a writer derives the next version through an {@link Editor}, which copies
 * only the nodes on the paths it changes. Modelled on {@code store.LongRadixTree}; a radix trie
 * does not fit here because index keys are long, variable-length and sparse.
 *
 * <p>Ordering: unsigned lexicographic, {@link Arrays#compareUnsigned(byte[], byte[])}; a proper
 * prefix sorts before its extensions. Keys are stored by reference, never copied: callers must
 * not modify them once added.
 *
 * <p>Layout: a B+tree. Every key is in a leaf; all leaves are at the same depth. A node holds
 * {@code count} entries in arrays of {@code MAX + 1} slots (the spare slot lets an insert
 * overflow a node before it is split); slots from {@code count} on are {@code null} (heads 0).
 *
 * <pre>
 *   leaf:      keys[0..count)  ascending                       children == null
 *   interior:  children[0..count), keys[0] == null,
 *              keys[i] (i &gt;= 1) separates children[i-1] and children[i]:
 *              every key below children[i-1] &lt; keys[i] &lt;= every key below children[i]
 *   both:      heads[i] = first 8 bytes of keys[i], big-endian, zero-padded (0 for null)
 *
 *   search(k): in each interior node take the child of the largest i &gt;= 1 with
 *              keys[i] &lt;= k (child 0 if none), then binary-search the leaf;
 *              each comparison compares heads, and the key arrays only when heads are equal.
 * </pre>
 *
 * <p>The heads keep a binary search inside the node's own {@code long[]} instead of loading one
 * separate key array per comparison: with 17-byte keys (a LONG index) this made a random lookup
 * among a million keys about three times faster, for about 10 more heap bytes per key
 * (a leaf takes about 850 bytes for up to 64 keys, not counting the key arrays themselves).
 *
 * <p>A separator is the lowest key of its right subtree when it is made (split, redistribution,
 * bulk load). Removing that key leaves the separator in place: it still separates, so a removal
 * changes no interior key unless it rebalances. Such a separator keeps a removed key's array
 * reachable until the node is rebuilt; that costs memory only.
 *
 * <p>Balance: every node but the root holds between {@code MIN = MAX / 4} and {@code MAX}
 * entries; a leaf root holds at least one key (the empty tree has no root) and an interior root
 * at least two children. An insert that overflows a node splits it into halves and inserts the
 * new right half into the parent, up to a new root. A removal that leaves a node below
 * {@code MIN} rebalances it with an adjacent sibling (the left one, or the right one for a first
 * child): if the two hold at most {@code MERGE_LIMIT = 3 * MAX / 4} entries together they merge
 * into one node and the parent loses an entry (which may underflow in turn); otherwise the
 * entries are redistributed evenly, each keeps at least {@code 3 * MAX / 8}, and the parent only
 * changes one separator. An interior root left with one child is replaced by that child. Between
 * the split size ({@code MAX / 2}) and the limits there is room, so alternating inserts and
 * removals at one spot do not split and merge the same node over and over. Height is therefore
 * logarithmic with base at least 16; with {@code MAX = 64} a million keys take 4 levels.
 *
 * <p>Sharing: an {@link Editor} never modifies a node of a published tree. It copies the path
 * from the root to the leaf it changes (the siblings too, when it rebalances) and links the
 * copies in place of the originals; all other nodes stay shared with the base tree, which is
 * unchanged.
 *
 * <p>Ownership: each node carries the owner token of the editor that created it ({@code null}
 * for nodes made by a {@link Builder}). An editor modifies nodes carrying its own token in place
 * and copies any other node the first time it writes below it, so a batch of changes copies each
 * shared node at most once. {@code LongRadixTree} keeps an identity set of owned nodes because
 * its nodes are bare arrays; these nodes are objects and carry the token, which makes the check
 * one comparison and a fresh editor cost no set. The token is a private {@code Object}, not the
 * editor, so a published node does not keep the editor or its base tree alive. After
 * {@link Editor#build()} no code holds the token any more: the nodes belong to the published
 * tree, and a later editor, with a new token, copies them like any other shared node.
 *
 * <p>Bulk load: a {@link Builder} takes keys in ascending order, fills leaves to
 * {@code BUILD_FILL} ({@code 7 * MAX / 8}) keys, then builds each interior level from the one
 * below in the same way; a last node below {@code MIN} shares the entries of its left neighbour.
 * O(n), no copies, no searches. The spare room lets the first inserts after a load land without
 * splitting every leaf they touch.
 *
 * <p>Durability: none; the tree lives on the heap only. Whoever loads an index at boot does so
 * through a {@link Builder}.
 *
 * <p>Thread-safety: a {@code ByteKeyTree} is immutable and safe to share between threads without
 * synchronization; its root is a final field written after all its nodes were completed, so even
 * a racy publication shows complete nodes. A {@link Cursor}, an {@link Editor} and a
 * {@link Builder} are each confined to one thread.
 */
public final class ByteKeyTree {

    /** Most entries in a node: keys of a leaf, children of an interior node. */
    static final int MAX = 64;
    /** Fewest entries in a node other than the root. */
    static final int MIN = MAX / 4;
    /** An underflowing node merges with its sibling when they hold at most this many together. */
    private static final int MERGE_LIMIT = MAX * 3 / 4;
    /** Entries per node written by a {@link Builder} (except the last nodes of a level). */
    private static final int BUILD_FILL = MAX * 7 / 8;

    private static final ByteKeyTree EMPTY = new ByteKeyTree(null, 0, 0);

    /** The root, or {@code null} when the tree is empty. */
    private final Node root;
    /** Levels: 0 when empty, 1 when the root is a leaf. */
    private final int height;
    private final long size;

    private ByteKeyTree(Node root, int height, long size) {
        this.root = root;
        this.height = height;
        this.size = size;
    }

    public static ByteKeyTree empty() {
        return EMPTY;
    }

    public static Builder builder() {
        return new Builder();
    }

    public long size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** The number of levels: 0 when empty, 1 when the root is a leaf. For diagnostics and tests. */
    int height() {
        return height;
    }

    public boolean contains(byte[] key) {
        Objects.requireNonNull(key, "key");
        return find(root, key);
    }

    /**
     * The smallest key {@code >= from} (or {@code > from} when {@code !inclusive}); {@code null}
     * if there is none. {@code from == null} means the first key.
     */
    public byte[] ceiling(byte[] from, boolean inclusive) {
        Node node = root;
        if (node == null) {
            return null;
        }
        if (from == null) {
            return first(node);
        }
        long head = head(from);
        Node right = null; // the nearest subtree right of the path: holds the answer if the leaf does not
        while (node.children != null) {
            int i = childIndex(node, from, head);
            if (i + 1 < node.count) {
                right = node.children[i + 1];
            }
            node = node.children[i];
        }
        int p = ceilingIndex(node, from, head, inclusive);
        if (p < node.count) {
            return node.keys[p];
        }
        return right == null ? null : first(right);
    }

    /**
     * An ascending cursor starting at the first key {@code >= from} ({@code > from} if
     * {@code !inclusive}); {@code from == null}: at the first key. Call {@link Cursor#next()}
     * first.
     */
    public Cursor ascending(byte[] from, boolean inclusive) {
        return new Walk(root, height, from, inclusive, true);
    }

    /**
     * A descending cursor starting at the last key {@code <= from} ({@code < from} if
     * {@code !inclusive}); {@code from == null}: at the last key. Call {@link Cursor#next()} first.
     */
    public Cursor descending(byte[] from, boolean inclusive) {
        return new Walk(root, height, from, inclusive, false);
    }

    /** Starts a batch of changes on top of this tree; {@code this} is never changed by it. */
    public Editor edit() {
        return new Editor(this);
    }

    /**
     * Checks the invariants in the class comment: node sizes, equal leaf depth, key order within
     * and across nodes, separators, empty spare slots, and the size. For diagnostics and tests
     * (public so that {@code store.IndexCheck} can run it on the trees of a store version).
     *
     * @throws IllegalStateException naming the first violation
     */
    public void verifyStructure() {
        if (root == null) {
            check(size == 0 && height == 0, "empty tree with size " + size + ", height " + height);
            return;
        }
        check(root.children == null ? root.count >= 1 : root.count >= 2, "root with " + root.count + " entries");
        long[] keys = {0};
        verify(root, 1, null, null, keys);
        check(keys[0] == size, "size " + size + " but " + keys[0] + " keys");
    }

    /** Checks the subtree of {@code node}, whose keys must lie in [lo, hi) (null: unbounded). */
    private void verify(Node node, int depth, byte[] lo, byte[] hi, long[] keys) {
        check(node.keys.length == MAX + 1, "node with " + node.keys.length + " key slots");
        check(node.count <= MAX && (node == root || node.count >= MIN),
                "node with " + node.count + " entries at depth " + depth);
        for (int i = node.count; i <= MAX; i++) {
            if (node.keys[i] != null || node.heads[i] != 0 || node.children != null && node.children[i] != null) {
                check(false, "spare slot " + i + " in use at depth " + depth);
            }
        }
        for (int i = 0; i < node.count; i++) {
            if (node.heads[i] != (node.keys[i] == null ? 0 : head(node.keys[i]))) {
                check(false, "head " + Long.toHexString(node.heads[i]) + " of key " + hex(node.keys[i]));
            }
        }
        if (node.children == null) {
            check(depth == height, "leaf at depth " + depth + " of a tree of height " + height);
            for (int i = 0; i < node.count; i++) {
                byte[] k = node.keys[i];
                check(k != null, "null key in leaf");
                if (lo != null && compare(lo, k) > 0 || hi != null && compare(k, hi) >= 0) {
                    check(false, "key " + hex(k) + " outside its bounds [" + hex(lo) + ", " + hex(hi) + ")");
                }
                if (i > 0 && compare(node.keys[i - 1], k) >= 0) {
                    check(false, "leaf keys out of order at " + hex(k));
                }
            }
            keys[0] += node.count;
            return;
        }
        check(depth < height, "interior node at depth " + depth + " of a tree of height " + height);
        check(node.keys[0] == null, "interior node with a key in slot 0");
        for (int i = 0; i < node.count; i++) {
            byte[] from = i == 0 ? lo : node.keys[i];
            byte[] to = i + 1 < node.count ? node.keys[i + 1] : hi;
            check(i == 0 || from != null, "null separator");
            if (from != null && to != null && compare(from, to) >= 0) {
                check(false, "separators out of order at " + hex(to));
            }
            verify(node.children[i], depth + 1, from, to, keys);
        }
    }

    private static void check(boolean condition, String violation) {
        if (!condition) {
            throw new IllegalStateException("byte key tree invariant violated: " + violation);
        }
    }

    static String hex(byte[] key) {
        return key == null ? "null" : HexFormat.of().formatHex(key);
    }

    // ---------------------------------------------------------------------------------------
    // Nodes and searches

    /**
     * A leaf ({@code children == null}) or interior node, laid out as in the class comment, with
     * {@code heads[i] == head(keys[i])} (0 for a null key). The arrays are modified in place only
     * while the node's owner is editing.
     */
    private static final class Node {
        /** The token of the editor that may modify this node in place; {@code null} if none. */
        final Object owner;
        final byte[][] keys;
        final long[] heads;
        final Node[] children;
        int count;

        Node(Object owner, boolean leaf) {
            this.owner = owner;
            this.keys = new byte[MAX + 1][];
            this.heads = new long[MAX + 1];
            this.children = leaf ? null : new Node[MAX + 1];
        }

        private Node(Object owner, Node from) {
            this.owner = owner;
            this.keys = from.keys.clone();
            this.heads = from.heads.clone();
            this.children = from.children == null ? null : from.children.clone();
            this.count = from.count;
        }

        Node copy(Object newOwner) {
            return new Node(newOwner, this);
        }

        void setKey(int i, byte[] key) {
            keys[i] = key;
            heads[i] = key == null ? 0 : head(key);
        }

        /** Inserts {@code key} (and, in an interior node, {@code child}) at {@code i}. */
        void insertAt(int i, byte[] key, Node child) {
            move(this, i, this, i + 1, count - i);
            setKey(i, key);
            if (children != null) {
                children[i] = child;
            }
            count++;
        }

        /** Removes entry {@code i} (in an interior node, {@code i >= 1}: the child and its separator). */
        void removeAt(int i) {
            count--;
            move(this, i + 1, this, i, count - i);
            clear(count, count + 1);
        }

        /** Moves entries {@code [from, count)} into the empty node {@code right}; returns its separator. */
        byte[] moveTail(int from, Node right) {
            int n = count - from;
            move(this, from, right, 0, n);
            clear(from, count);
            right.count = n;
            count = from;
            byte[] separator = right.keys[0];
            if (children != null) {
                right.setKey(0, null);
            }
            return separator;
        }

        /** Empties the slots {@code [from, to)}. */
        void clear(int from, int to) {
            Arrays.fill(keys, from, to, null);
            Arrays.fill(heads, from, to, 0);
            if (children != null) {
                Arrays.fill(children, from, to, null);
            }
        }

        /** Copies {@code n} entries (key, head, child) from {@code src[from]} to {@code dst[to]}. */
        static void move(Node src, int from, Node dst, int to, int n) {
            System.arraycopy(src.keys, from, dst.keys, to, n);
            System.arraycopy(src.heads, from, dst.heads, to, n);
            if (src.children != null) {
                System.arraycopy(src.children, from, dst.children, to, n);
            }
        }
    }

    private static final VarHandle LONG_BIG_ENDIAN =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /**
     * The first 8 bytes of {@code key}, big-endian, zero-padded: unequal heads (unsigned) order
     * keys as the keys do; equal heads leave the order to the full keys.
     */
    static long head(byte[] key) {
        if (key.length >= Long.BYTES) {
            return (long) LONG_BIG_ENDIAN.get(key, 0);
        }
        long head = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            head = head << 8 | (i < key.length ? key[i] & 0xFF : 0);
        }
        return head;
    }

    static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    /** Compares the key {@code i} of {@code node} with {@code key}, whose head is {@code head}. */
    private static int compareAt(Node node, int i, byte[] key, long head) {
        long h = node.heads[i];
        return h != head ? Long.compareUnsigned(h, head) : compare(node.keys[i], key);
    }

    /** In a leaf: the index of {@code key} (head {@code head}), or {@code -(insertion point) - 1}. */
    private static int search(Node leaf, byte[] key, long head) {
        int lo = 0;
        int hi = leaf.count - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = compareAt(leaf, mid, key, head);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }

    /** In an interior node: the child whose subtree holds {@code key}'s place. */
    private static int childIndex(Node node, byte[] key, long head) {
        int lo = 1;
        int hi = node.count - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (compareAt(node, mid, key, head) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi < 1 ? 0 : hi;
    }

    /** In a leaf: the index of the first key {@code >= from} ({@code > from}); count if none. */
    private static int ceilingIndex(Node leaf, byte[] from, long head, boolean inclusive) {
        int p = search(leaf, from, head);
        return p >= 0 ? (inclusive ? p : p + 1) : -p - 1;
    }

    /** In a leaf: the index of the last key {@code <= from} ({@code < from}); -1 if none. */
    private static int floorIndex(Node leaf, byte[] from, long head, boolean inclusive) {
        int p = search(leaf, from, head);
        return p >= 0 ? (inclusive ? p : p - 1) : -p - 2;
    }

    private static boolean find(Node node, byte[] key) {
        if (node == null) {
            return false;
        }
        long head = head(key);
        while (node.children != null) {
            node = node.children[childIndex(node, key, head)];
        }
        return search(node, key, head) >= 0;
    }

    private static byte[] first(Node node) {
        while (node.children != null) {
            node = node.children[0];
        }
        return node.keys[0];
    }

    /**
     * Joins the adjacent nodes {@code left} and {@code right} (same level, {@code separator}
     * between them) into {@code left}, which must be writable; {@code right} is only read.
     */
    private static void merge(Node left, Node right, byte[] separator) {
        int lc = left.count;
        Node.move(right, 0, left, lc, right.count);
        if (left.children != null) {
            left.setKey(lc, separator);
        }
        left.count = lc + right.count;
    }

    /**
     * Shares the entries of the adjacent writable nodes {@code left} and {@code right} evenly
     * between them; returns the new separator.
     */
    private static byte[] redistribute(Node left, Node right, byte[] separator) {
        int total = left.count + right.count;
        int target = total / 2;
        if (left.count == target) {
            return separator;
        }
        if (left.count > target) {
            // Shift right's entries up, then move left's tail in front of them.
            int n = left.count - target;
            Node.move(right, 0, right, n, right.count);
            Node.move(left, target, right, 0, n);
            left.clear(target, left.count);
            if (right.children != null) {
                right.setKey(n, separator);
            }
        } else {
            // Append right's first entries to left, then shift right's remaining entries down.
            int n = target - left.count;
            Node.move(right, 0, left, left.count, n);
            if (right.children != null) {
                left.setKey(left.count, separator);
            }
            Node.move(right, n, right, 0, right.count - n);
            right.clear(right.count - n, right.count);
        }
        right.count = total - target;
        left.count = target;
        byte[] newSeparator = right.keys[0];
        if (right.children != null) {
            right.setKey(0, null);
        }
        return newSeparator;
    }

    // ---------------------------------------------------------------------------------------
    // Editor, Builder, Cursor

    /**
     * A transient batch of changes on top of a tree. Nodes this editor created are modified in
     * place; nodes shared with the base tree are copied once, on the first write below them. The
     * base tree never changes. After {@link #build()} every method throws
     * {@link IllegalStateException}. Confined to one thread.
     */
    public static final class Editor {
        private final ByteKeyTree base;
        /** Marks the nodes this editor created (see "Ownership" in the class comment). */
        private final Object token = new Object();
        private Node root;
        private int height;
        private long size;
        private boolean built;
        /** The nodes on the path of the last search, root first, the leaf at {@code height - 1}. */
        private Node[] path;
        /** The child taken in {@code path[d]}, for the interior levels. */
        private int[] slots;

        private Editor(ByteKeyTree base) {
            this.base = base;
            this.root = base.root;
            this.height = base.height;
            this.size = base.size;
            this.path = new Node[Math.max(4, height + 1)];
            this.slots = new int[path.length];
        }

        /** Adds {@code key}; returns false (and changes nothing) if it is already present. */
        public boolean add(byte[] key) {
            Objects.requireNonNull(key, "key");
            checkOpen();
            if (root == null) {
                Node leaf = new Node(token, true);
                leaf.insertAt(0, key, null);
                root = leaf;
                height = 1;
                size = 1;
                return true;
            }
            long head = head(key);
            int p = search(descend(key, head), key, head);
            if (p >= 0) {
                return false;
            }
            makePathWritable();
            int d = height - 1;
            path[d].insertAt(-p - 1, key, null);
            while (path[d].count > MAX) {
                Node left = path[d];
                Node right = new Node(token, left.children == null);
                byte[] separator = left.moveTail(left.count / 2, right);
                if (d == 0) {
                    Node top = new Node(token, false);
                    top.insertAt(0, null, left);
                    top.insertAt(1, separator, right);
                    root = top;
                    height++;
                    growPath();
                    break;
                }
                d--;
                path[d].insertAt(slots[d] + 1, separator, right);
            }
            size++;
            return true;
        }

        /** Removes {@code key}; returns false (and changes nothing) if it is absent. */
        public boolean remove(byte[] key) {
            Objects.requireNonNull(key, "key");
            checkOpen();
            if (root == null) {
                return false;
            }
            long head = head(key);
            int p = search(descend(key, head), key, head);
            if (p < 0) {
                return false;
            }
            makePathWritable();
            int d = height - 1;
            path[d].removeAt(p);
            while (d > 0 && path[d].count < MIN && rebalance(d)) {
                d--;
            }
            while (root.children != null && root.count == 1) {
                root = root.children[0];
                height--;
            }
            if (root.count == 0) {
                root = null;
                height = 0;
            }
            size--;
            return true;
        }

        public boolean contains(byte[] key) {
            Objects.requireNonNull(key, "key");
            checkOpen();
            return find(root, key);
        }

        /** The number of keys in the tree being edited. */
        public long size() {
            checkOpen();
            return size;
        }

        /** Returns the edited tree as a persistent tree and closes this editor. */
        public ByteKeyTree build() {
            checkOpen();
            built = true;
            path = null;
            if (root == base.root) {
                return base;
            }
            return root == null ? EMPTY : new ByteKeyTree(root, height, size);
        }

        /** Fills {@link #path} and {@link #slots} down to the leaf where {@code key} belongs. */
        private Node descend(byte[] key, long head) {
            Node node = root;
            int d = 0;
            while (node.children != null) {
                int i = childIndex(node, key, head);
                path[d] = node;
                slots[d] = i;
                node = node.children[i];
                d++;
            }
            path[d] = node;
            return node;
        }

        /** Replaces each node on the path that this editor does not own by an owned copy. */
        private void makePathWritable() {
            for (int d = 0; d < height; d++) {
                Node node = path[d];
                if (node.owner != token) {
                    node = node.copy(token);
                    path[d] = node;
                    if (d == 0) {
                        root = node;
                    } else {
                        path[d - 1].children[slots[d - 1]] = node;
                    }
                }
            }
        }

        private Node writableChild(Node parent, int i) {
            Node child = parent.children[i];
            if (child.owner != token) {
                child = child.copy(token);
                parent.children[i] = child;
            }
            return child;
        }

        /**
         * Rebalances the underflowing {@code path[d]} (d &gt; 0) with a sibling; returns whether
         * its parent lost an entry (a merge), which may make the parent underflow in turn.
         */
        private boolean rebalance(int d) {
            Node parent = path[d - 1];
            int l = slots[d - 1] > 0 ? slots[d - 1] - 1 : 0;
            Node right = parent.children[l + 1];
            Node left = writableChild(parent, l);
            if (left.count + right.count <= MERGE_LIMIT) {
                merge(left, right, parent.keys[l + 1]);
                parent.removeAt(l + 1);
                return true;
            }
            right = writableChild(parent, l + 1);
            parent.setKey(l + 1, redistribute(left, right, parent.keys[l + 1]));
            return false;
        }

        private void growPath() {
            if (path.length < height + 1) {
                path = Arrays.copyOf(path, height + 4);
                slots = Arrays.copyOf(slots, height + 4);
            }
        }

        private void checkOpen() {
            if (built) {
                throw new IllegalStateException("editor already built");
            }
        }
    }

    /**
     * Builds a tree from keys added in strictly ascending order in O(n) (see "Bulk load" in the
     * class comment). Confined to one thread; {@link #build()} may be called once.
     */
    public static final class Builder {
        private final List<Node> leaves = new ArrayList<>();
        private Node leaf;
        private byte[] last;
        private long size;
        private boolean built;

        private Builder() {
        }

        /**
         * Appends a key.
         *
         * @throws IllegalArgumentException if {@code key} is not greater than the previous key
         */
        public Builder add(byte[] key) {
            Objects.requireNonNull(key, "key");
            checkOpen();
            if (last != null && compare(key, last) <= 0) {
                throw new IllegalArgumentException(
                        "keys must be strictly ascending: " + hex(key) + " after " + hex(last));
            }
            if (leaf == null || leaf.count == BUILD_FILL) {
                leaf = new Node(null, true);
                leaves.add(leaf);
            }
            leaf.setKey(leaf.count++, key);
            last = key;
            size++;
            return this;
        }

        public ByteKeyTree build() {
            checkOpen();
            built = true;
            if (leaves.isEmpty()) {
                return EMPTY;
            }
            List<Node> level = leaves;
            int height = 1;
            balanceLast(level);
            while (level.size() > 1) {
                level = parentsOf(level);
                balanceLast(level);
                height++;
            }
            leaf = null;
            return new ByteKeyTree(level.get(0), height, size);
        }

        private static List<Node> parentsOf(List<Node> level) {
            List<Node> parents = new ArrayList<>(level.size() / BUILD_FILL + 1);
            Node parent = null;
            for (Node child : level) {
                if (parent == null || parent.count == BUILD_FILL) {
                    parent = new Node(null, false);
                    parents.add(parent);
                }
                parent.setKey(parent.count, parent.count == 0 ? null : first(child));
                parent.children[parent.count++] = child;
            }
            return parents;
        }

        /** Lifts a last node below {@code MIN} by sharing its left neighbour's entries. */
        private static void balanceLast(List<Node> level) {
            int n = level.size();
            if (n > 1 && level.get(n - 1).count < MIN) {
                Node right = level.get(n - 1);
                redistribute(level.get(n - 2), right, first(right));
            }
        }

        private void checkOpen() {
            if (built) {
                throw new IllegalStateException("builder already built");
            }
        }
    }

    /** Iteration over a tree; starts before its first key: call {@link #next()} first. */
    public interface Cursor {
        /** Moves to the next key; returns false (and stays exhausted) if there is none. */
        boolean next();

        /**
         * The current key.
         *
         * @throws IllegalStateException unless the last {@link #next()} returned true
         */
        byte[] key();
    }

    /**
     * A cursor in either direction: a stack of one node and one index per level. At the interior
     * levels the index is the child being walked; at the leaf it is the next key to return,
     * which may be one step outside the leaf, and then {@link #next()} moves to the adjacent leaf
     * (never empty: only the root may be small, and a leaf root holds a key).
     */
    private static final class Walk implements Cursor {
        private final boolean ascending;
        private final Node[] nodes;
        private final int[] index;
        private boolean exhausted;
        private byte[] key;

        Walk(Node root, int height, byte[] from, boolean inclusive, boolean ascending) {
            this.ascending = ascending;
            this.nodes = new Node[height];
            this.index = new int[height];
            if (root == null) {
                exhausted = true;
                return;
            }
            long head = from == null ? 0 : head(from);
            Node node = root;
            int d = 0;
            while (node.children != null) {
                int i = from != null ? childIndex(node, from, head) : ascending ? 0 : node.count - 1;
                nodes[d] = node;
                index[d] = i;
                node = node.children[i];
                d++;
            }
            nodes[d] = node;
            if (from == null) {
                index[d] = ascending ? 0 : node.count - 1;
            } else {
                index[d] = ascending ? ceilingIndex(node, from, head, inclusive)
                        : floorIndex(node, from, head, inclusive);
            }
        }

        @Override
        public boolean next() {
            if (exhausted) {
                return false;
            }
            int leafDepth = nodes.length - 1;
            int step = ascending ? 1 : -1;
            int p = index[leafDepth];
            if (p < 0 || p >= nodes[leafDepth].count) {
                int d = leafDepth - 1;
                while (d >= 0 && (ascending ? index[d] + 1 >= nodes[d].count : index[d] == 0)) {
                    d--;
                }
                if (d < 0) {
                    exhausted = true;
                    key = null;
                    return false;
                }
                index[d] += step;
                for (; d < leafDepth; d++) {
                    Node child = nodes[d].children[index[d]];
                    nodes[d + 1] = child;
                    index[d + 1] = ascending ? 0 : child.count - 1;
                }
                p = index[leafDepth];
            }
            key = nodes[leafDepth].keys[p];
            index[leafDepth] = p + step;
            return true;
        }

        @Override
        public byte[] key() {
            if (key == null) {
                throw new IllegalStateException("cursor is not on a key: call next() first");
            }
            return key;
        }
    }
}
