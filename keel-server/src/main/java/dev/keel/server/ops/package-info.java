/**
 * The operational side of the server: the Kubernetes probes ({@link dev.keel.server.ops.ProbeRoutes}),
 * Prometheus metrics ({@link dev.keel.server.ops.MetricsRoutes}, {@link dev.keel.server.ops.DatabaseMetrics}),
 * bearer tokens ({@link dev.keel.server.ops.BearerAuth}, {@link dev.keel.server.ops.TokenFile}), HTTPS, the
 * request tracking behind the access log and the shutdown drain ({@link dev.keel.server.ops.ServerOps},
 * {@link dev.keel.server.ops.RequestTracker}, {@link dev.keel.server.ops.AccessLog}) and signal handling
 * for {@code keel serve} ({@link dev.keel.server.ops.ShutdownSignals}).
 */
package dev.keel.server.ops;
