package dev.keel.internal.store;

import dev.keel.ConstraintViolationException;
import dev.keel.internal.entity.StoredIndex;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.index.ByteKeyTree;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Checks that the index entries a store version maintains are exactly those its entities imply:
 * rebuilds every index in bulk from the entities ({@link IndexBuilder}, the code an open uses) and
 * compares the result key by key with the maintained trees, and checks each maintained tree's
 * structure. For tests and diagnostics; it writes nothing and costs a full index build.
 */
public final class IndexCheck {
    /** How many differing keys one index reports. */
    private static final int SHOWN = 5;

    private IndexCheck() {
    }

    /** The differences found, one line each; empty when the maintained indexes equal a rebuild. */
    public static List<String> problems(Store store) {
        List<String> problems = new ArrayList<>();
        if (!(store instanceof MemStore m)) {
            problems.add("cannot check a " + store.getClass().getSimpleName() + " (only MemStore versions)");
            return problems;
        }
        if (!m.indexed()) {
            problems.add("store version at LSN " + m.lsn() + " is not indexed");
            return problems;
        }
        Map<Long, ByteKeyTree> rebuilt;
        try {
            rebuilt = IndexBuilder.build(new MemStore(m.lsn(), m.schema(), m.trees(), Map.of(), null));
        } catch (ConstraintViolationException e) {
            problems.add("the entities break a unique index: " + e.getMessage());
            rebuilt = new HashMap<>();
        }
        for (StoredType t : m.schema().types()) {
            for (StoredIndex ix : t.indexes()) {
                String name = t.name() + "." + ix.name();
                ByteKeyTree kept;
                try {
                    kept = m.index(t.typeId(), ix.indexId());
                    kept.verifyStructure();
                } catch (IllegalStateException e) {
                    problems.add(name + ": " + e.getMessage());
                    continue;
                }
                ByteKeyTree fresh = rebuilt.get(MemStore.indexSlot(t.typeId(), ix.indexId()));
                if (fresh != null) {
                    compare(name, kept, fresh, problems);
                }
            }
        }
        return problems;
    }

    /** Walks both trees in order and reports keys only one of them holds. */
    private static void compare(String name, ByteKeyTree kept, ByteKeyTree fresh, List<String> problems) {
        if (kept.size() != fresh.size()) {
            problems.add(name + ": " + kept.size() + " entries, but the entities imply " + fresh.size());
        }
        ByteKeyTree.Cursor a = kept.ascending(null, true);
        ByteKeyTree.Cursor b = fresh.ascending(null, true);
        byte[] x = a.next() ? a.key() : null;
        byte[] y = b.next() ? b.key() : null;
        int shown = 0;
        while ((x != null || y != null) && shown < SHOWN) {
            int cmp = x == null ? 1 : y == null ? -1 : Arrays.compareUnsigned(x, y);
            if (cmp == 0) {
                x = a.next() ? a.key() : null;
                y = b.next() ? b.key() : null;
                continue;
            }
            shown++;
            if (cmp < 0) {
                problems.add(name + ": stale entry " + HexFormat.of().formatHex(x) + " (no entity implies it)");
                x = a.next() ? a.key() : null;
            } else {
                problems.add(name + ": missing entry " + HexFormat.of().formatHex(y));
                y = b.next() ? b.key() : null;
            }
        }
    }
}
