package dev.keel.server.ops;

import static dev.keel.server.ops.OpsTestSupport.await;
import static dev.keel.server.ops.ProbeRoutesTest.metricValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import dev.keel.server.TestServers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics}: the database's figures and the HTTP timer by route template. */
class MetricsRoutesTest {
    @TempDir
    Path tmp;

    @Test
    void databaseAndRequestMetricsInPrometheusText() {
        Path dir = tmp.resolve("db");
        OpsTestSupport.createDatabase(dir);
        ServerConfig config = ServerConfig.builder().dataDirectory(dir).port(0).accessLog(false).build();
        try (KeelServer server = TestServers.start(config, b -> b, new ItemRoutes())) {
            OpsTestSupport.Client client = new OpsTestSupport.Client(server.port());
            await("ready", () -> client.get("/health/ready").statusCode() == 200);
            for (int n = 1; n <= 3; n++) {
                assertEquals(201, client.send("POST", "/v1/test/items/" + n).statusCode());
            }
            assertEquals(200, client.get("/v1/test/items/1").statusCode());
            assertEquals(200, client.get("/v1/test/items/2").statusCode());
            assertEquals(404, client.get("/v1/test/items/999").statusCode());
            assertEquals(404, client.get("/no/such/route/7").statusCode());

            HttpResponse<String> r = client.get("/metrics");
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    r.headers().toString());
            String m = r.body();
            assertEquals(3.0, metricValue(m, "keel_commits_total"));
            assertEquals(2.0, metricValue(m,
                    "keel_http_requests_seconds_count{method=\"GET\",route=\"/v1/test/items/{id}\",status=\"200\"}"));
            assertEquals(1.0, metricValue(m,
                    "keel_http_requests_seconds_count{method=\"GET\",route=\"/v1/test/items/{id}\",status=\"404\"}"));
            assertEquals(3.0, metricValue(m,
                    "keel_http_requests_seconds_count{method=\"POST\",route=\"/v1/test/items/{n}\",status=\"201\"}"));
            assertEquals(1.0, metricValue(m,
                    "keel_http_requests_seconds_count{method=\"GET\",route=\"unmatched\",status=\"404\"}"));
            assertFalse(m.contains("route=\"/v1/test/items/1\""), "raw paths are never a label");
            assertFalse(m.contains("/no/such/route"), "raw paths are never a label");

            assertTrue(metricValue(m, "keel_log_sync_seconds_count") >= 3, "every SYNC commit synced");
            assertTrue(metricValue(m, "keel_log_written_bytes_total") > 0);
            assertEquals(metricValue(m, "keel_log_written_bytes_total"), metricValue(m, "keel_log_synced_bytes_total"));
            assertTrue(metricValue(m, "keel_group_commit_transactions_total") >= 3);
            assertTrue(metricValue(m, "keel_group_commit_batches_total") >= 1);
            assertEquals(0.0, metricValue(m, "keel_checkpoints_total"));
            assertTrue(metricValue(m, "keel_checkpoint_age_seconds") >= 0);
            assertTrue(metricValue(m, "keel_log_since_checkpoint_bytes") > 0);
            assertEquals(1.0, metricValue(m, "keel_indexes{type=\"Item\",unique=\"false\"}"));
            assertEquals(0.0, metricValue(m, "keel_indexes{type=\"Item\",unique=\"true\"}"));
            assertEquals(0.0, metricValue(m, "keel_health_status{component=\"storage\"}"));
            assertTrue(Double.isNaN(metricValue(m, "keel_health_status{component=\"boot\"}")), "not reported once open");
            assertEquals(1.0, metricValue(m, "keel_phase{phase=\"READY\"}"));
            assertEquals(0.0, metricValue(m, "keel_phase{phase=\"RECOVER\"}"));
            assertEquals(1.0, metricValue(m, "keel_ready"));
            assertEquals(1.0, metricValue(m, "keel_live"));
            assertEquals(100.0, metricValue(m, "keel_boot_percent"));
            assertTrue(metricValue(m, "keel_boot_phase_duration_seconds{phase=\"INIT\"}") > 0);
            assertEquals(0.0, metricValue(m, "keel_recovery_tails_repaired"));
            assertEquals(1.0, metricValue(m, "keel_http_requests_active"), "the scrape itself");

            // Counters move with the database: one more commit, one more checkpoint.
            assertEquals(201, client.send("POST", "/v1/test/items/4").statusCode());
            server.database().withDatabase(db -> db.checkpoint());
            String later = client.get("/metrics").body();
            assertEquals(4.0, metricValue(later, "keel_commits_total"));
            assertEquals(1.0, metricValue(later, "keel_checkpoints_total"));
            assertTrue(metricValue(later, "keel_checkpoint_last_duration_seconds") > 0);
        }
    }

    @Test
    void countersStayMonotonicAcrossASchemaChangeThatReopensTheDatabase() throws Exception {
        Path dir = tmp.resolve("reopen");
        OpsTestSupport.createDatabase(dir);
        ServerConfig config = ServerConfig.builder().dataDirectory(dir).port(0).accessLog(false).build();
        try (KeelServer server = TestServers.start(config, b -> b, new ItemRoutes())) {
            OpsTestSupport.Client client = new OpsTestSupport.Client(server.port());
            await("ready", () -> client.get("/health/ready").statusCode() == 200);
            for (int n = 1; n <= 3; n++) {
                assertEquals(201, client.send("POST", "/v1/test/items/" + n).statusCode());
            }
            assertEquals(3.0, metricValue(client.get("/metrics").body(), "keel_commits_total"));
            // A new type: the schema change closes the database and opens a new instance.
            java.util.List<dev.keel.EntityType> types = new java.util.ArrayList<>(server.database()
                    .withDatabase(dev.keel.KeelDb::schema));
            types.add(dev.keel.EntityType.builder("Extra").field(dev.keel.Field.text("a")).build());
            server.database().reopen(types, server.database().withDatabase(dev.keel.KeelDb::schema));
            assertTrue(metricValue(client.get("/metrics").body(), "keel_commits_total") >= 3.0);
            assertEquals(201, client.send("POST", "/v1/test/items/4").statusCode());
            assertEquals(4.0, metricValue(client.get("/metrics").body(), "keel_commits_total"));
        }
    }
}
