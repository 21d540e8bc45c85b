/** Crash recovery: checkpoint selection, log replay, torn-tail repair, salvage and quarantine. */
package dev.keel.internal.recovery;
