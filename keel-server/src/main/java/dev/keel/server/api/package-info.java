/**
 * The data API under {@code /v1}: entity endpoints ({@link dev.keel.server.api.EntityRoutes}), list
 * queries with keyset cursors ({@link dev.keel.server.api.ListRoutes}) and multi-operation
 * transactions ({@link dev.keel.server.api.TransactionRoutes}), with the value JSON codec, ETag and
 * If-Match preconditions, and Idempotency-Key support through the core's idempotent writes.
 */
package dev.keel.server.api;
