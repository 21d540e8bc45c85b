/**
 * Test support published for KeelDB's own tests and for users' tests of code built on KeelDB:
 * {@link dev.keel.testkit.FaultyFileIO}, a file layer behind the storage seam that simulates power
 * loss (unsynced writes and directory changes vanish, the last write is torn), fails the n-th I/O
 * operation, runs out of disk space and drops dirty data when a sync fails; and
 * {@link dev.keel.testkit.CrashInjector}, which cuts that layer's power when the engine reaches a
 * chosen {@link dev.keel.fault.CrashPoint}. See the module's README for a walk-through.
 */
package dev.keel.testkit;
