/**
 * YCSB bindings ({@code site.ycsb.DB}) for KeelDB and, as the reference peer, RocksDB, run by
 * {@code keel-bench/run-ycsb.sh} with the standard core workloads A–F from
 * {@code src/main/resources/workloads}. Both commit every write durably by default.
 */
package dev.keel.bench.ycsb;
