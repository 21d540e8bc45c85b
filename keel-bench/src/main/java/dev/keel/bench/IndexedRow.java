package dev.keel.bench;

import java.math.BigInteger;

/**
 * The row of the index benchmark, derived from its key like {@link Row}: {@code k} (LONG), the
 * name, age (INT, 0..99) and score of {@code Row.forKey(key)}. The indexed fields:
 *
 * <ul>
 *   <li>{@code k}: for the {@code loaded} keys [0, loaded), {@code key * STRIDE mod loaded}, a
 *       permutation of [0, loaded) that scatters consecutive keys, so every {@code k} in that range
 *       matches exactly one row and {@code k} in [a, a + 100) exactly 100; keys from {@code loaded}
 *       on (the single-insert commits) have {@code k = key}, outside that range.</li>
 *   <li>{@code name}: "person-" + the zero-padded key, so names sort like keys and the 100 names
 *       from {@code nameOf(a)} on are those of keys a..a+99.</li>
 *   <li>{@code age}: about 1% of the rows each, so it shows what a low-cardinality index costs.</li>
 * </ul>
 *
 * The expected answer of every benchmark query follows from this, which is how both stores are
 * checked against the same rows.
 */
record IndexedRow(long k, String name, int age, double score) {
    /** A prime; the permutation needs {@code loaded} not to be a multiple of it. */
    static final long STRIDE = 1_000_003L;

    static IndexedRow forKey(long key, int loaded) {
        Row row = Row.forKey(key);
        return new IndexedRow(kOf(key, loaded), row.name(), (int) row.age(), row.score());
    }

    static long kOf(long key, int loaded) {
        return key < loaded ? Math.floorMod(key * STRIDE, (long) loaded) : key;
    }

    static String nameOf(long key) {
        return Row.forKey(key).name();
    }

    /** Inverts {@link #kOf} on [0, loaded): the key of the one loaded row whose {@code k} is {@code k}. */
    static final class KeyOfK {
        private final long inverse;
        private final int loaded;

        KeyOfK(int loaded) {
            if (loaded % STRIDE == 0) {
                throw new IllegalArgumentException("the row count must not be a multiple of " + STRIDE + ", was " + loaded);
            }
            this.loaded = loaded;
            this.inverse = loaded == 1 ? 0 : BigInteger.valueOf(STRIDE).modInverse(BigInteger.valueOf(loaded)).longValueExact();
        }

        long keyOf(long k) {
            return BigInteger.valueOf(k).multiply(BigInteger.valueOf(inverse)).mod(BigInteger.valueOf(loaded)).longValueExact();
        }
    }
}
