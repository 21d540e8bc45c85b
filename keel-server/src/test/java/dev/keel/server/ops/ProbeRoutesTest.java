package dev.keel.server.ops;

import static dev.keel.server.ops.OpsTestSupport.await;
import static dev.keel.server.ops.OpsTestSupport.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.BootPhase;
import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import dev.keel.server.TestServers;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probes through a whole boot: a recovery held at each progress step (so its phase and rising
 * percent are seen from outside), an open that fails on corruption, and a healthy server.
 */
class ProbeRoutesTest {
    @TempDir
    Path tmp;

    private static ServerConfig config(Path dir) {
        return ServerConfig.builder().dataDirectory(dir).port(0).accessLog(false).build();
    }

    @Test
    void aSlowRecoveryIsWatchedThroughTheStartupProbeUntilTheServerIsReady() {
        Path dir = OpsTestSupport.crashImage(tmp, 400, 100);
        BootGate gate = new BootGate(BootPhase.RECOVER);
        try (KeelServer server = TestServers.start(config(dir), b -> b.bootListener(gate), new ItemRoutes())) {
            OpsTestSupport.Client client = new OpsTestSupport.Client(server.port());
            await("phase RECOVER on /health/startup", () -> json(client.get("/health/startup")).get("phase").asText()
                    .equals("RECOVER"));

            HttpResponse<String> startup = client.get("/health/startup");
            assertEquals(503, startup.statusCode(), startup.body());
            JsonNode s = json(startup);
            assertEquals("UNHEALTHY", s.get("status").asText());
            assertFalse(s.get("started").asBoolean());
            assertFalse(s.get("ready").asBoolean());
            assertTrue(s.get("live").asBoolean());
            assertTrue(s.get("bytesTotal").asLong() > 0, "the files were listed: " + s);
            assertTrue(s.has("uptimeSeconds") && s.has("recordsDone") && s.has("recordsTotal") && s.has("bytesDone"), s
                    .toString());
            assertEquals(503, client.get("/health/ready").statusCode());
            assertEquals(200, client.get("/health/live").statusCode());
            HttpResponse<String> health = client.get("/health");
            assertEquals(503, health.statusCode());
            assertEquals("boot", json(health).get("components").get(0).get("name").asText(), health.body());

            HttpResponse<String> data = client.get("/v1/test/items/1");
            assertEquals(503, data.statusCode(), data.body());
            JsonNode problem = json(data);
            assertEquals("not-ready", problem.get("code").asText());
            assertEquals("RECOVER", problem.get("phase").asText());
            assertTrue(data.headers().firstValue("Retry-After").isPresent());

            String metrics = client.get("/metrics").body();
            assertTrue(metrics.contains("keel_phase{phase=\"RECOVER\"} 1.0"), metrics);
            assertTrue(metrics.contains("keel_commits_total 0.0"), "counters read 0 before the open: " + metrics);

            // Each step lets recovery on to its next progress report: the percent seen from outside rises.
            List<Double> seen = new ArrayList<>();
            seen.add(s.get("percent").asDouble());
            for (int i = 0; i < 5; i++) {
                double before = seen.get(seen.size() - 1);
                gate.step();
                await("percent above " + before, () -> {
                    JsonNode now = json(client.get("/health/startup"));
                    return !now.get("phase").asText().equals("RECOVER") || now.get("percent").asDouble() > before;
                });
                JsonNode now = json(client.get("/health/startup"));
                if (!now.get("phase").asText().equals("RECOVER")) {
                    break;
                }
                seen.add(now.get("percent").asDouble());
            }
            assertTrue(seen.size() >= 4, "recovery reported progress in steps: " + seen);
            for (int i = 1; i < seen.size(); i++) {
                assertTrue(seen.get(i) > seen.get(i - 1), "percent rises: " + seen);
            }

            gate.open();
            await("startup 200", () -> client.get("/health/startup").statusCode() == 200);
            HttpResponse<String> ready = client.get("/health/ready");
            assertEquals(200, ready.statusCode(), ready.body());
            JsonNode r = json(ready);
            assertEquals("READY", r.get("phase").asText());
            assertEquals(100.0, r.get("percent").asDouble());
            assertTrue(r.get("started").asBoolean() && r.get("ready").asBoolean() && r.get("live").asBoolean());
            assertEquals(200, client.get("/v1/test/items/1").statusCode(), "the data endpoint serves");

            JsonNode full = json(client.get("/health"));
            List<String> names = new ArrayList<>();
            full.get("components").forEach(c -> names.add(c.get("name").asText()));
            assertEquals(List.of("storage", "log", "checkpoint", "memory", "filesystem"), names);
            assertTrue(full.get("components").get(0).get("values").get("lastLsn").asLong() > 0, full.toString());

            String after = client.get("/metrics").body();
            assertTrue(after.contains("keel_phase{phase=\"READY\"} 1.0"), after);
            assertTrue(metricValue(after, "keel_recovery_records_replayed") >= 40_000, after);
            assertTrue(metricValue(after, "keel_boot_phase_duration_seconds{phase=\"RECOVER\"}") > 0, after);
        }
    }

    @Test
    void aFailedOpenIsStartedAliveNotReadyAndNamesTheFailure() throws IOException {
        Path dir = OpsTestSupport.crashImage(tmp, 200, 50);
        Path first = OpsTestSupport.segments(dir).get(0);
        try (RandomAccessFile f = new RandomAccessFile(first.toFile(), "rw")) {
            long at = f.length() / 2; // inside a record, with good records after it (and later segments)
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x5a);
        }
        try (KeelServer server = TestServers.start(config(dir), b -> b, new ItemRoutes())) {
            OpsTestSupport.Client client = new OpsTestSupport.Client(server.port());
            await("the open to finish", () -> client.get("/health/startup").statusCode() == 200);
            JsonNode startup = json(client.get("/health/startup"));
            assertEquals("FAILED", startup.get("phase").asText());
            assertTrue(startup.get("started").asBoolean());
            assertFalse(startup.get("ready").asBoolean());
            assertTrue(startup.get("failure").asText().contains(first.getFileName().toString()), startup.toString());
            assertEquals(503, client.get("/health/ready").statusCode());
            assertEquals(200, client.get("/health/live").statusCode(), "a restart would only fail again");

            HttpResponse<String> health = client.get("/health");
            assertEquals(503, health.statusCode());
            JsonNode h = json(health);
            assertEquals("UNHEALTHY", h.get("status").asText());
            assertTrue(h.get("failure").asText().contains(first.getFileName().toString()), h.toString());
            JsonNode boot = h.get("components").get(0);
            assertEquals("boot", boot.get("name").asText());
            assertTrue(boot.get("detail").asText().startsWith("opening failed"), boot.toString());

            JsonNode problem = json(client.get("/v1/test/items/1"));
            assertEquals("not-ready", problem.get("code").asText());
            assertEquals("FAILED", problem.get("phase").asText());
            assertTrue(client.get("/metrics").body().contains("keel_phase{phase=\"FAILED\"} 1.0"));
        }
    }

    /** The value of the sample line starting with {@code series} (name and labels). */
    static double metricValue(String text, String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + series + " in:\n" + text);
    }
}
