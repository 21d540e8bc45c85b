package dev.keel.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.keel.BootBudgets;
import dev.keel.BootPhase;
import dev.keel.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/kubernetes.yaml stays true to the code: probe paths, the startup window against the boot budgets, the grace period. */
class KubernetesExampleTest {
    @Test
    void probesAndTimingsFitTheServer() throws IOException {
        Path file = Path.of("..", "docs", "kubernetes.yaml");
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = yaml.getFactory().createParser(Files.readString(file))) {
            yaml.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
        }
        JsonNode pod = docs.stream().filter(d -> d.path("kind").asText().equals("Deployment")).findFirst()
                .orElseThrow().path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);

        Duration boot = BootBudgets.defaults().budget(BootPhase.INIT).orElseThrow()
                .plus(BootBudgets.defaults().budget(BootPhase.MIGRATE).orElseThrow())
                .plus(BootBudgets.defaults().budget(BootPhase.RECOVER).orElseThrow())
                .plus(BootBudgets.defaults().budget(BootPhase.WARMUP).orElseThrow());
        JsonNode startup = container.path("startupProbe");
        assertEquals("/health/startup", startup.path("httpGet").path("path").asText());
        long window = startup.path("failureThreshold").asLong() * startup.path("periodSeconds").asLong();
        assertTrue(window >= boot.toSeconds(), "startup window " + window + " s < boot budgets " + boot);
        assertEquals("/health/ready", container.path("readinessProbe").path("httpGet").path("path").asText());
        assertEquals("/health/live", container.path("livenessProbe").path("httpGet").path("path").asText());
        for (String probe : new String[] {"startupProbe", "readinessProbe", "livenessProbe"}) {
            assertTrue(ProbeRoutes.PATHS.contains(container.path(probe).path("httpGet").path("path").asText()));
        }

        List<String> args = new ArrayList<>();
        container.path("args").forEach(a -> args.add(a.asText()));
        assertEquals("serve", args.get(0));
        assertEquals("0.0.0.0", args.get(args.indexOf("--host") + 1));
        Duration drain = Duration.parse("PT" + args.get(args.indexOf("--shutdown-drain") + 1).toUpperCase());
        assertEquals(ServerConfig.builder().build().shutdownDrain(), drain, "the example uses the default drain");
        long grace = pod.path("terminationGracePeriodSeconds").asLong();
        assertTrue(grace > drain.plus(ShutdownSignals.CLOSE_ALLOWANCE).toSeconds(), "grace " + grace + " s");
        assertEquals("KEEL_TOKENS", container.path("env").get(0).path("name").asText());
    }
}
