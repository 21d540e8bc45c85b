package dev.keel.server.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keel.EntityType;
import dev.keel.FieldType;
import dev.keel.Index;
import dev.keel.KeelDb;
import dev.keel.KeelOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Databases, a plain HTTP client and waiting, for the tests of this package. */
final class OpsTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    static final EntityType ITEM = EntityType.builder("Item").requiredField("n", FieldType.LONG)
            .index(Index.on("n")).build();

    private OpsTestSupport() {
    }

    /** A new database in {@code dir} declaring {@link #ITEM}, closed again. */
    static void createDatabase(Path dir) {
        KeelDb.open(dir, KeelOptions.builder().entityType(ITEM).build()).close();
    }

    /**
     * What a killed process leaves: {@code transactions} commits of {@code perTx} items each, in 64 KiB
     * log segments and no checkpoint after them, copied from the directory of the still-open database.
     * Opening the copy replays the whole log.
     */
    static Path crashImage(Path work, int transactions, int perTx) {
        Path live = work.resolve("live");
        Path image = work.resolve("image");
        KeelOptions options = KeelOptions.builder().entityType(ITEM).segmentSizeInBytes(KeelOptions.MIN_SEGMENT_SIZE)
                .checkpointLogSizeInBytes(1L << 30).checkpointInterval(Duration.ofHours(1)).build();
        try (KeelDb db = KeelDb.open(live, options)) {
            for (int t = 0; t < transactions; t++) {
                long base = (long) t * perTx;
                db.execute(tx -> {
                    for (int i = 0; i < perTx; i++) {
                        tx.insert("Item", Map.of("n", base + i));
                    }
                });
            }
            copy(live, image);
        }
        return image;
    }

    /** The log segments of {@code dir}, oldest first. */
    static List<Path> segments(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("wal-.*\\.log")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(Path from, Path to) {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits (up to 60 s) until {@code condition} holds. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 60 s for: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what);
            }
        }
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (status " + r.statusCode() + "): " + r.body(), e);
        }
    }

    /** A real HTTP client for one server (plain HTTP on 127.0.0.1). */
    static final class Client {
        private final HttpClient http;
        private final String base;

        Client(int port) {
            this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), "http://127.0.0.1:" + port);
        }

        Client(HttpClient http, String base) {
            this.http = http;
            this.base = base;
        }

        HttpRequest.Builder request(String path, String... headers) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
            for (int i = 0; i < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
            return b;
        }

        HttpResponse<String> get(String path, String... headers) {
            return send(request(path, headers).GET().build());
        }

        HttpResponse<String> send(String method, String path, String... headers) {
            return send(request(path, headers).method(method, HttpRequest.BodyPublishers.noBody()).build());
        }

        HttpResponse<String> send(HttpRequest request) {
            try {
                return http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        java.util.concurrent.CompletableFuture<HttpResponse<String>> sendAsync(String method, String path) {
            return http.sendAsync(request(path).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }
}
