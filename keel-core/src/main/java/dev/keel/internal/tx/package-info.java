/** Transactions and snapshots: read views over a store version, buffered writes, merged scans. */
package dev.keel.internal.tx;
