/**
 * The peer benchmark harness: {@link dev.keel.bench.PeerBenchmark} runs KeelDB and its peers
 * (SQLite, RocksDB, LMDB) through the same measurements in one process and one run, measures the
 * disk's raw 4 KiB write+fdatasync rate as the physical limit, and prints a Markdown report of
 * absolute figures and KeelDB/peer ratios. Each database sits behind {@link dev.keel.bench.Store};
 * all of them store the same logical row ({@link dev.keel.bench.Row}). Never run in CI.
 */
package dev.keel.bench;
