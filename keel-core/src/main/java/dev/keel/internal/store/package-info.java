/**
 * The versioned entity store behind snapshots: the {@link dev.keel.internal.store.Store} interface
 * and its in-memory implementation over a persistent radix trie.
 */
package dev.keel.internal.store;
