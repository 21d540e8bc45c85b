/**
 * Wiring and lifecycle: open, commit pipeline, publication, checkpoints, background threads, failure,
 * close; and idempotent writes with the purge of their expired records.
 */
package dev.keel.internal.engine;
