/**
 * The public API of KeelDB: {@link dev.keel.KeelDb} (open, transactions, snapshots), options,
 * entity types, durability and recovery modes, the recovery report and the exception hierarchy
 * rooted at {@link dev.keel.KeelException}.
 */
package dev.keel;
