/**
 * The KeelDB HTTP server: {@link dev.keel.server.KeelServer} wires Javalin (Jetty 12) to one
 * database through {@link dev.keel.server.DatabaseHolder}; route modules in the subpackages add the
 * endpoints ({@code api}: entities, queries, transactions; {@code schema}: schema files and
 * {@code /v1/schema}; {@code ops}: probes, metrics, auth, access log). Uses only keel-core's public API.
 */
package dev.keel.server;
