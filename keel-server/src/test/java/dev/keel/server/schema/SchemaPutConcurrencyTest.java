package dev.keel.server.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.Entity;
import dev.keel.server.ServerFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PUT /v1/schema while writers commit: every acknowledged write is there afterwards, with its values,
 * also after a restart; no writer sees an error. Writers use the database through
 * {@code DatabaseHolder.withDatabase} as request handlers do.
 */
class SchemaPutConcurrencyTest {
    private static final int WRITERS = 4;
    private static final String BASE = """
            types:
              - name: Event
                fields:
                  - {name: writer, type: INT, required: true}
                  - {name: n, type: LONG, required: true}
            """;

    @TempDir
    Path dir;

    @Test
    void schemaChangesDuringWritesLoseNoAcknowledgedWrite() throws Exception {
        Map<Long, long[]> acknowledged = new ConcurrentHashMap<>();
        List<String> documents = List.of(
                BASE + "      - {name: source, type: TEXT, default: web}\n",
                BASE + "      - {name: source, type: TEXT, default: web}\n    indexes:\n      - {fields: [n]}\n",
                BASE + "      - {name: origin, type: TEXT, default: web, renamedFrom: source}\n"
                        + "    indexes:\n      - {fields: [n]}\n      - {fields: [writer, n], unique: true}\n",
                BASE.replace("{name: n, type: LONG, required: true}", "{name: n, type: LONG, required: true, min: 0}")
                        + "      - {name: origin, type: TEXT, default: web}\n");
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b).awaitReady()) {
            assertEquals(200, put(s, BASE).statusCode());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLongArray written = new AtomicLongArray(WRITERS);
            CountDownLatch started = new CountDownLatch(WRITERS);
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    for (long n = 0; !stop.get(); n++) {
                        long value = n;
                        long id = s.server().database().withDatabase(db -> db.write(tx -> tx.insert("Event",
                                Map.of("writer", writer, "n", value))));
                        acknowledged.put(id, new long[] {writer, value});
                        written.incrementAndGet(writer);
                        if (n == 10) {
                            started.countDown();
                        }
                    }
                    return null;
                }));
            }
            assertTrue(started.await(60, TimeUnit.SECONDS), "writers started");
            for (String doc : documents) {
                long[] before = snapshot(written);
                HttpResponse<String> r = put(s, doc);
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(ServerFixture.json(r).get("changes").size() > 0, r.body());
                awaitProgress(written, before, writers);
            }
            stop.set(true);
            for (Future<?> f : writers) {
                f.get(60, TimeUnit.SECONDS); // rethrows any writer's failure
            }
            pool.shutdown();
            check(s, acknowledged);
        }
        // And after a restart (a clean close checkpointed, the log replays the rest).
        try (ServerFixture s = ServerFixture.start(dir.resolve("db"), b -> b).awaitReady()) {
            check(s, acknowledged);
        }
    }

    private static void check(ServerFixture s, Map<Long, long[]> acknowledged) {
        s.server().database().withDatabase(db -> db.read(snapshot -> {
            assertEquals(acknowledged.size(), snapshot.count("Event"));
            for (Map.Entry<Long, long[]> a : acknowledged.entrySet()) {
                Entity e = snapshot.get("Event", a.getKey()).orElseThrow(() -> new AssertionError("lost Event#"
                        + a.getKey()));
                assertEquals((int) a.getValue()[0], e.get("writer"));
                assertEquals(a.getValue()[1], e.get("n"));
                assertEquals("web", e.get("origin"));
            }
            return null;
        }));
    }

    /** Waits until every writer committed more than before {@code before} (they go on after a PUT). */
    private static void awaitProgress(AtomicLongArray written, long[] before, List<Future<?>> writers)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int w = 0; w < before.length; w++) {
            while (written.get(w) <= before[w] + 5) {
                if (writers.get(w).isDone()) {
                    writers.get(w).get();
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("writer " + w + " made no progress after the schema change");
                }
                Thread.sleep(1);
            }
        }
    }

    private static long[] snapshot(AtomicLongArray a) {
        long[] out = new long[a.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i);
        }
        return out;
    }

    private static HttpResponse<String> put(ServerFixture s, String yaml) {
        return s.send(s.request("/v1/schema").PUT(HttpRequest.BodyPublishers.ofString(yaml))
                .header("Content-Type", "application/yaml").build());
    }
}
