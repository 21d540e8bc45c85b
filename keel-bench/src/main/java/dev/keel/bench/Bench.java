package dev.keel.bench;

/** The measurements the harness can run, by command-line id. */
enum Bench {
    /** Raw 4 KiB write + fdatasync: preallocated file, 1 and N threads, and a growing file. */
    FSYNC("fsync"),
    /** Durable commits of one small entity each, from one thread: commits/s, p50/p99 latency. */
    COMMIT("commit"),
    /** Durable commits from N threads at once: total commits/s. */
    CONCURRENT("concurrent"),
    /** Bulk load of the data set in transactions of the batch size: records/s. */
    LOAD("load"),
    /** Random point reads of the loaded data set from one thread: reads/s. */
    READ("read"),
    /** Time from reopening the loaded data set to its first read returning. */
    REOPEN("reopen"),
    /** KeelDB heap bytes per stored entity after load and after reopen, against the payload size. */
    HEAP("heap"),
    /**
     * KeelDB and SQLite only: inserts with 0, 1 and 3 secondary indexes, open time with them, and
     * indexed equality lookups and 100-row range scans (see {@link IndexBenchmark}).
     */
    INDEX("index");

    private final String id;

    Bench(String id) {
        this.id = id;
    }

    String id() {
        return id;
    }

    /** Whether this measurement needs the data set loaded (they share one load per store and run). */
    boolean needsDataset() {
        return this == LOAD || this == READ || this == REOPEN || this == HEAP;
    }

    static Bench byId(String id) {
        for (Bench b : values()) {
            if (b.id.equalsIgnoreCase(id)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown benchmark '" + id
                + "'; known: fsync, commit, concurrent, load, read, reopen, heap, index");
    }
}
