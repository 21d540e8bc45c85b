package dev.keel.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * What every route module shares: the configuration, the database, the JSON mapper (with the
 * configured depth and string-length limits) and the metrics registry.
 */
public record ServerContext(ServerConfig config, DatabaseHolder database, ObjectMapper json,
        PrometheusMeterRegistry metrics) {
}
