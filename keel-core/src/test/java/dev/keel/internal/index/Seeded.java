package dev.keel.internal.index;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongConsumer;

/**
 * Seed handling for the randomized tests of this package: a fresh seed per run, or the one given
 * with {@code -Dkeel.test.seed=<seed>}; the seed is printed before the run and named in any
 * failure. Scale runs with {@code -Dkeel.test.multiplier=<n>}.
 */
final class Seeded {
    static final int MULTIPLIER = Integer.getInteger("keel.test.multiplier", 1);

    private Seeded() {
    }

    static void run(String name, LongConsumer scenario) {
        Long fixed = Long.getLong("keel.test.seed");
        long seed = fixed != null ? fixed : ThreadLocalRandom.current().nextLong();
        System.out.println(name + ": seed=" + seed + " (replay with -Dkeel.test.seed=" + seed + ")");
        try {
            scenario.accept(seed);
        } catch (Throwable t) {
            throw new AssertionError(
                    name + " failed with seed=" + seed + "; replay with -Dkeel.test.seed=" + seed + ": " + t, t);
        }
    }
}
