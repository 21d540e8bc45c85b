package dev.keel.server.ops;

import dev.keel.BootPhase;
import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The child JVM of {@link ShutdownSignalsTest}: serves {@code args[0]} with {@link ShutdownSignals}
 * installed and a drain of {@code args[1]} ms, writes {@code args[2]} items, prints {@code PORT p}
 * and {@code WROTE n}, and with {@code args[3] = stuck} then keeps the database busy forever (so a
 * graceful shutdown waits out its whole drain) and prints {@code STUCK}.
 */
public final class SignalChild {
    private SignalChild() {
    }

    public static void main(String[] args) throws Exception {
        KeelServer server = KeelServer.start(ServerConfig.builder().dataDirectory(Path.of(args[0])).port(0)
                .accessLog(false).shutdownDrain(Duration.ofMillis(Long.parseLong(args[1]))).build());
        ShutdownSignals.install(server);
        while (server.database().phase() != BootPhase.READY) {
            Thread.sleep(5);
        }
        int items = Integer.parseInt(args[2]);
        for (int i = 1; i <= items; i++) {
            long n = i;
            server.database().withDatabase(db -> db.write(tx -> tx.insert("Item", Map.of("n", n))));
        }
        System.out.println("PORT " + server.port());
        System.out.println("WROTE " + items);
        if (args.length > 3 && args[3].equals("stuck")) {
            Thread busy = new Thread(() -> server.database().withDatabase(db -> {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }), "busy");
            busy.setDaemon(true);
            busy.start();
            while (busy.getState() != Thread.State.TIMED_WAITING) {
                Thread.sleep(5);
            }
            System.out.println("STUCK");
        }
        System.out.flush();
    }
}
