/**
 * Queries: planning a {@link dev.keel.Query} onto an index or a scan, and running the plan over a
 * store version (and a transaction's own writes).
 */
package dev.keel.internal.query;
