package dev.keel.bench;

/** Used-heap measurement for the heap-per-entity figure. */
final class Heap {
    private Heap() {
    }

    /**
     * Used heap bytes after full collections: {@code System.gc()} repeated until the figure stops
     * falling (at most 5 times). Meaningful with a fixed heap ({@code -Xms} = {@code -Xmx}).
     */
    static long usedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            long used = rt.totalMemory() - rt.freeMemory();
            if (used >= best) {
                break;
            }
            best = used;
        }
        return best;
    }
}
