package dev.keel.crash;

import dev.keel.BootPhase;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * Child JVM of {@link ServerKillCrashIT}: declares the workload's types by opening the directory
 * with the Java API (which creates or migrates the stored schema), closes it, then serves it with
 * {@link KeelServer} on a free loopback port (durability SYNC, the default) and prints
 * {@code READY <port>} once the database is READY. It then runs until it is killed.
 *
 * <p>Usage: {@code ServerChild <dir>}.
 */
public final class ServerChild {
    static final String DOC = "Doc";
    static final String ITEM = "Item";
    static final String COUNTER = "Counter";

    /** Single-entity writes: POST, PUT, PATCH, DELETE. {@code owner} is the client thread. */
    static final EntityType DOC_TYPE = EntityType.builder(DOC).field(Field.text("owner").required())
            .field(Field.longField("n")).field(Field.text("text")).index("owner").build();
    /** Written only by transactions, never changed: {@code batch} names the transaction. */
    static final EntityType ITEM_TYPE = EntityType.builder(ITEM).field(Field.text("batch").required())
            .field(Field.intField("pos").required()).field(Field.longField("val")).index("batch").build();
    /** One per client thread; every transaction sets {@code seq} to its number. */
    static final EntityType COUNTER_TYPE = EntityType.builder(COUNTER).field(Field.text("owner").required().unique())
            .field(Field.longField("seq").required()).build();

    private ServerChild() {
    }

    static List<EntityType> types() {
        return List.of(DOC_TYPE, ITEM_TYPE, COUNTER_TYPE);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        KeelOptions.Builder options = KeelOptions.builder();
        types().forEach(options::entityType);
        try (KeelDb db = KeelDb.open(dir, options.build())) {
            db.health();
        }
        KeelServer server = KeelServer.start(ServerConfig.builder().dataDirectory(dir).port(0).accessLog(false)
                .build());
        while (server.database().phase() != BootPhase.READY) {
            if (server.database().failure().isPresent()) {
                System.out.println("FAILED " + server.database().failure().get());
                System.out.flush();
                server.close();
                System.exit(1);
            }
            Thread.sleep(5);
        }
        System.out.println("READY " + server.port());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
