package dev.keel.internal.index;

import java.util.ArrayList;
import java.util.List;

/** Lookups on an index tree by the encoded values of its leading fields. */
public final class IndexScan {
    private IndexScan() {
    }

    /** Whether {@code key} starts with {@code prefix}. */
    public static boolean startsWith(byte[] key, byte[] prefix) {
        if (key.length < prefix.length) {
            return false;
        }
        return java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /**
     * The ids of the entries whose key starts with {@code valuesPrefix} (see {@link IndexKeys#prefix}),
     * ascending by key, at most {@code max}.
     */
    public static List<Long> ids(ByteKeyTree tree, byte[] valuesPrefix, int max) {
        List<Long> ids = new ArrayList<>();
        ByteKeyTree.Cursor c = tree.ascending(valuesPrefix, true);
        while (ids.size() < max && c.next() && startsWith(c.key(), valuesPrefix)) {
            ids.add(IndexKeys.id(c.key()));
        }
        return ids;
    }
}
