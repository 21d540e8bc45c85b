package dev.keel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * A real server on a free loopback port over a test directory, and a real HTTP client
 * (java.net.http) to talk to it. Close it to shut the server down gracefully.
 */
public final class ServerFixture implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();

    private final KeelServer server;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String token;

    private ServerFixture(KeelServer server, String token) {
        this.server = server;
        this.token = token;
    }

    /** Starts a server on {@code dir}, port 0, access log off; {@code tweak} changes the config. */
    public static ServerFixture start(Path dir, UnaryOperator<ServerConfig.Builder> tweak) {
        return start(dir, tweak, null);
    }

    /** Like {@link #start(Path, UnaryOperator)}, sending {@code token} as bearer token on every request. */
    public static ServerFixture start(Path dir, UnaryOperator<ServerConfig.Builder> tweak, String token) {
        ServerConfig config = tweak.apply(ServerConfig.builder().dataDirectory(dir).port(0).accessLog(false)).build();
        return new ServerFixture(KeelServer.start(config), token);
    }

    /** Waits (up to 60 s) until the database is READY; returns this. */
    public ServerFixture awaitReady() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (server.database().phase() != dev.keel.BootPhase.READY) {
            if (server.database().failure().isPresent()) {
                throw new AssertionError("open failed", server.database().failure().get());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not READY after 60 s: " + server.database().progress());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return this;
    }

    /** A client of {@code server} (already started elsewhere) sending {@code token}; closing it stops the server. */
    public static ServerFixture connect(KeelServer server, String token) {
        return new ServerFixture(server, token);
    }

    public KeelServer server() {
        return server;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** A request builder for {@code path}, with the bearer token if any. */
    public HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path) {
        return send(request(path).GET().build());
    }

    public HttpResponse<String> delete(String path) {
        return send(request(path).DELETE().build());
    }

    /** Sends {@code method} with a JSON body; {@code headers} are name, value pairs. */
    public HttpResponse<String> send(String method, String path, String json, String... headers) {
        HttpRequest.Builder b = request(path).method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    public static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (status " + response.statusCode() + "): " + response.body(), e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
