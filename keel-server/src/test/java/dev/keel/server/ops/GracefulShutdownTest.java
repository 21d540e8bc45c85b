package dev.keel.server.ops;

import static dev.keel.server.ops.OpsTestSupport.await;
import static dev.keel.server.ops.OpsTestSupport.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import dev.keel.server.TestServers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KeelServer#shutdown}: a request that got in before finishes and gets its answer, new ones
 * get 503, the probes say SHUTTING_DOWN, and the directory reopens cleanly with everything
 * acknowledged.
 */
class GracefulShutdownTest {
    @TempDir
    Path tmp;

    @Test
    void aRequestInFlightFinishesWhileNewOnesAreRefused() throws Exception {
        Path dir = tmp.resolve("db");
        OpsTestSupport.createDatabase(dir);
        ItemRoutes routes = new ItemRoutes();
        KeelServer server = TestServers.start(ServerConfig.builder().dataDirectory(dir).port(0).accessLog(false)
                .build(), b -> b, routes);
        OpsTestSupport.Client c = new OpsTestSupport.Client(server.port());
        await("ready", () -> c.get("/health/ready").statusCode() == 200);
        assertEquals(201, c.send("POST", "/v1/test/items/1").statusCode());

        CompletableFuture<HttpResponse<String>> slow = c.sendAsync("POST", "/v1/test/slow/2");
        assertTrue(routes.entered.await(30, TimeUnit.SECONDS), "the slow request is in");
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> server.shutdown(Duration.ofSeconds(60)));

        await("readiness fails", () -> c.get("/health/ready").statusCode() == 503);
        JsonNode ready = json(c.get("/health/ready"));
        assertEquals("SHUTTING_DOWN", ready.get("phase").asText());
        assertFalse(ready.get("ready").asBoolean());
        assertEquals(200, c.get("/health/live").statusCode(), "alive while draining");
        HttpResponse<String> refused = c.get("/v1/test/items/1");
        assertEquals(503, refused.statusCode(), refused.body());
        assertEquals("shutting-down", json(refused).get("code").asText());
        assertEquals("5", refused.headers().firstValue("Retry-After").orElse(""));
        assertEquals(503, c.send("POST", "/v1/test/items/3").statusCode());
        assertFalse(shutdown.isDone(), "the drain waits for the request in flight");

        routes.release.countDown();
        HttpResponse<String> answered = slow.get(30, TimeUnit.SECONDS);
        assertEquals(201, answered.statusCode(), "the request that got in finished: " + answered.body());
        shutdown.get(60, TimeUnit.SECONDS);

        try (KeelDb db = KeelDb.open(dir, KeelOptions.defaults())) {
            assertEquals(2, db.snapshot().count("Item"), "both acknowledged writes, not the refused one");
            assertEquals(0, db.bootMetrics().recordsReplayed(), "a clean close: the checkpoint covered everything");
            assertTrue(db.recoveryReport().clean());
        }
    }

    @Test
    void theDrainIsBoundedAndARequestCutShortIsNotAcknowledged() throws Exception {
        Path dir = tmp.resolve("db");
        OpsTestSupport.createDatabase(dir);
        ItemRoutes routes = new ItemRoutes();
        KeelServer server = TestServers.start(ServerConfig.builder().dataDirectory(dir).port(0).accessLog(false)
                .build(), b -> b, routes);
        OpsTestSupport.Client c = new OpsTestSupport.Client(server.port());
        await("ready", () -> c.get("/health/ready").statusCode() == 200);
        assertEquals(201, c.send("POST", "/v1/test/items/1").statusCode());
        CompletableFuture<HttpResponse<String>> slow = c.sendAsync("POST", "/v1/test/slow/2");
        assertTrue(routes.entered.await(30, TimeUnit.SECONDS));

        server.shutdown(Duration.ofMillis(200)); // returns although the request still runs
        routes.release.countDown(); // it goes on, and finds the database closed
        try {
            HttpResponse<String> r = slow.get(30, TimeUnit.SECONDS);
            assertTrue(r.statusCode() >= 500, "not acknowledged: " + r.statusCode() + " " + r.body());
        } catch (ExecutionException connectionClosed) {
            // The port was released under it: no answer, which is no acknowledgement either.
        }
        try (KeelDb db = KeelDb.open(dir, KeelOptions.defaults())) {
            assertEquals(1, db.snapshot().count("Item"));
        }
    }

    @Test
    void shuttingDownWhileTheDatabaseIsStillOpeningReturnsWithinTheDrain() {
        Path dir = OpsTestSupport.crashImage(tmp, 100, 100);
        BootGate gate = new BootGate(dev.keel.BootPhase.RECOVER);
        KeelServer server = TestServers.start(ServerConfig.builder().dataDirectory(dir).port(0).accessLog(false)
                .build(), b -> b.bootListener(gate));
        OpsTestSupport.Client c = new OpsTestSupport.Client(server.port());
        await("recovering", () -> json(c.get("/health/startup")).get("phase").asText().equals("RECOVER"));
        server.shutdown(Duration.ofMillis(100)); // does not wait for the recovery
        gate.open(); // the open finishes in the background and is closed then
        await("the directory is released", () -> {
            try (KeelDb db = KeelDb.open(dir, KeelOptions.defaults())) {
                return db.snapshot().count("Item") == 10_000;
            } catch (dev.keel.DatabaseLockedException stillOpen) {
                return false;
            }
        });
    }
}
