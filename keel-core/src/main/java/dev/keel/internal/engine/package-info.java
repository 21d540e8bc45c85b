/** Wiring and lifecycle: open, commit pipeline, publication, checkpoints, background threads, failure, close. */
package dev.keel.internal.engine;
