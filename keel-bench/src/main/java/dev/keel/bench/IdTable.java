package dev.keel.bench;

import java.util.Arrays;

/**
 * Maps the harness's keys [0, capacity) to the ids KeelDB assigned on insert (KeelDB chooses ids;
 * the peers store the key itself). Kept by the harness across a close and reopen of the same data.
 * Keys outside the range are not recorded: only the loaded data set is ever read back. Written by
 * one thread at a time, read after that thread's work is joined.
 */
public final class IdTable {
    /** A table that records nothing, for write-only benchmarks. */
    public static final IdTable NONE = new IdTable(0);

    private final long[] ids;

    public IdTable(int capacity) {
        this.ids = new long[capacity];
        Arrays.fill(ids, -1);
    }

    public void put(long key, long id) {
        if (key >= 0 && key < ids.length) {
            ids[(int) key] = id;
        }
    }

    /** The id stored for {@code key}, or -1. */
    public long get(long key) {
        return key >= 0 && key < ids.length ? ids[(int) key] : -1;
    }
}
