package dev.keel.cli;

import dev.keel.BootProgress;
import dev.keel.Durability;
import dev.keel.EntityType;
import dev.keel.server.DatabaseHolder;
import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import dev.keel.server.ServerConfig.Token;
import dev.keel.server.ops.ShutdownSignals;
import dev.keel.server.ops.TokenFile;
import dev.keel.server.schema.SchemaDocumentException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code keel serve}: runs the HTTP server ({@link KeelServer}) over one database directory until
 * SIGTERM or SIGINT.
 *
 * <p>Order: options are checked first (a bad one is exit 64 and creates nothing); then the port is
 * bound and the database opens in the background, so the probes answer during a long recovery. The
 * command prints where it listens and, once the database is READY, commands to try. A database that
 * fails to open is reported on stderr and by the readiness probe, and the server keeps running
 * (alive, not ready) instead of exiting, as the server does under Kubernetes.
 *
 * <p>Shutdown: {@link ShutdownSignals}: SIGTERM or SIGINT closes the server gracefully (readiness
 * goes false, requests in flight get {@code --shutdown-drain}, the database closes cleanly, which
 * checkpoints), then the process exits with 128 + the signal number (143 for SIGTERM, 130 for
 * SIGINT); a second signal stops it at once.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        defaultValueProvider = ServeValues.Defaults.class,
        description = {"Serve a database over HTTP: JSON entity API, transactions, idempotent writes, probes, metrics.",
            "",
            "Creates the data directory on first start (a non-empty directory that is not a KeelDB database is "
                + "refused). Binds the port first and opens the database in the background; GET /health/ready answers "
                + "200 once it is ready. Stops gracefully on SIGTERM or Ctrl-C. Without tokens it only binds a loopback "
                + "address. Bearer tokens come from --token-file and from the environment variable KEEL_TOKENS "
                + "(comma-separated 'token' or 'token:read-only')."},
        footerHeading = "%nExamples:%n",
        footer = {"  keel serve                     # ./keel-data on http://127.0.0.1:7070",
            "  keel serve --data /var/lib/keel --port 8080",
            "  KEEL_TOKENS=$(openssl rand -hex 32) keel serve --host 0.0.0.0",
            "  keel serve --token-file tokens.txt \\",
            "      --tls-keystore keel.p12 --tls-password-env KEEL_TLS_PASSWORD",
            "  keel serve --schema schema.yaml --durability group"},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"0:--help, --version (a running server stops only by a signal: 143 or 130 below)",
            "1:the --schema file is not a valid schema document (every error is listed); or closing the database"
                + " failed at shutdown (logged)",
            "4:the data directory is a file, or a non-empty directory that is not a KeelDB database",
            "5:the port cannot be bound (in use, or not allowed)", ExitCodes.L_USAGE, ExitCodes.L_INTERNAL,
            "143:stopped by SIGTERM (130: Ctrl-C / SIGINT), after a graceful shutdown; a second signal stops at"
                + " once"})
final class ServeCommand extends KeelCommand {
    @Option(names = "--data", paramLabel = "DIR", description = "the database directory (default: ${DEFAULT-VALUE};"
            + " created if absent)")
    Path data;

    @Option(names = "--host", paramLabel = "HOST", description = "the address to bind (default: ${DEFAULT-VALUE};"
            + " any other than loopback needs tokens)")
    String host;

    @Option(names = "--port", paramLabel = "N", description = "the port (default: ${DEFAULT-VALUE}; 0 picks a free"
            + " one, which is printed)")
    int port;

    @Option(names = "--schema", paramLabel = "FILE", description = "a JSON or YAML schema file applied at start"
            + " (default: serve the stored schema)")
    Path schema;

    @Option(names = "--token-file", paramLabel = "FILE", description = "bearer tokens, one '<token> [read-only|"
            + "read-write]' per line, # comments")
    Path tokenFile;

    @Option(names = "--tls-keystore", paramLabel = "FILE", description = "serve HTTPS from this PKCS#12 or JKS"
            + " keystore")
    Path tlsKeystore;

    @Option(names = "--tls-password-env", paramLabel = "VAR", description = "the environment variable holding the"
            + " keystore password (never on the command line)")
    String tlsPasswordEnv;

    @Option(names = "--durability", paramLabel = "MODE", converter = ServeValues.DurabilityConverter.class,
            description = "sync, group or async (default: ${DEFAULT-VALUE}: a write is answered after it is on disk)")
    Durability durability;

    @Option(names = "--max-body-bytes", paramLabel = "N", converter = ServeValues.SizeConverter.class,
            description = "largest request body, e.g. 4m (default: ${DEFAULT-VALUE}); larger gets 413")
    long maxBodyBytes;

    @Option(names = "--request-timeout", paramLabel = "DURATION", converter = ServeValues.DurationConverter.class,
            description = "longest a connection may stall, and a request may wait behind a schema change (503),"
                    + " e.g. 30s (default: ${DEFAULT-VALUE})")
    Duration requestTimeout;

    @Option(names = "--shutdown-drain", paramLabel = "DURATION", converter = ServeValues.DurationConverter.class,
            description = "how long a shutdown waits for requests in flight (default: ${DEFAULT-VALUE})")
    Duration shutdownDrain;

    @Option(names = "--idempotency-ttl", paramLabel = "DURATION", converter = ServeValues.DurationConverter.class,
            description = "how long an Idempotency-Key is remembered (default: ${DEFAULT-VALUE})")
    Duration idempotencyTtl;

    @Option(names = "--no-access-log", description = "do not log each request (method, path, status, time)")
    boolean noAccessLog;

    @Override
    public Integer call() throws InterruptedException {
        showServerLogs();
        ServerConfig config = config();
        boolean existing = Files.isDirectory(data) && DatabaseDirectory.isDatabase(data);
        if (Files.exists(data) && !existing) {
            requireNewDataDirectory(data);
        }
        long started = System.nanoTime();
        KeelServer server = start(config);
        ShutdownSignals.install(server);
        printListening(server, existing);
        awaitOpen(server, started);
        out().printf("Stop with Ctrl-C or `kill -TERM %d`: requests in flight get %s, then the database closes"
                + " cleanly.%n", ProcessHandle.current().pid(), ServeValues.formatDuration(config.shutdownDrain()));
        out().flush();
        // The signal handler closes the server and ends the process; this thread only waits for that.
        new CountDownLatch(1).await();
        return ExitCodes.OK;
    }

    /**
     * A data directory that is not a database yet must be empty (or hold only {@code lost+found}, as a
     * freshly formatted volume mounted there does): serving a directory of other files by mistake would
     * write the database among them.
     */
    private static void requireNewDataDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CliException(ExitCodes.NOT_A_DATABASE, "data directory " + dir + " is a file, not a directory");
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<String> other = files.map(f -> f.getFileName().toString()).filter(n -> !n.equals("lost+found"))
                    .sorted().limit(3).toList();
            if (!other.isEmpty()) {
                throw new CliException(ExitCodes.NOT_A_DATABASE, "data directory " + dir + " is not empty and not a"
                        + " KeelDB database (it holds " + String.join(", ", other) + (other.size() == 3 ? ", ..." : "")
                        + ")", "give a new or empty directory, or the directory of an existing database; nothing was"
                        + " written");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The configuration, or a usage error (64) naming the option that is wrong. */
    private ServerConfig config() {
        if (port < 0 || port > 65535) {
            throw usage("--port must be between 0 and 65535 (0 picks a free port), was " + port);
        }
        if (maxBodyBytes < 1) {
            throw usage("--max-body-bytes must be at least 1, was " + maxBodyBytes);
        }
        requirePositive("--request-timeout", requestTimeout);
        requirePositive("--idempotency-ttl", idempotencyTtl);
        if (tlsPasswordEnv != null && tlsKeystore == null) {
            throw usage("--tls-password-env needs --tls-keystore");
        }
        String password = null;
        if (tlsKeystore != null) {
            requireFile("--tls-keystore", tlsKeystore);
            if (tlsPasswordEnv == null) {
                throw usage("--tls-keystore needs --tls-password-env VAR naming the environment variable that holds"
                        + " the keystore password");
            }
            password = System.getenv(tlsPasswordEnv);
            if (password == null) {
                throw usage("--tls-password-env " + tlsPasswordEnv + ": the environment variable is not set");
            }
        }
        if (schema != null) {
            requireFile("--schema", schema);
        }
        Set<Token> tokens = new LinkedHashSet<>();
        try {
            if (tokenFile != null) {
                tokens.addAll(TokenFile.read(tokenFile));
            }
            tokens.addAll(TokenFile.parseEnv(System.getenv(TokenFile.ENV)));
            return ServerConfig.builder().dataDirectory(data).host(host).port(port).schemaFile(schema)
                    .durability(durability).tokens(tokens).tls(tlsKeystore, password).maxBodyBytes(maxBodyBytes)
                    .requestTimeout(requestTimeout).shutdownDrain(shutdownDrain).idempotencyKeyTtl(idempotencyTtl)
                    .accessLog(!noAccessLog).build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private void requirePositive(String option, Duration d) {
        if (d.isZero() || d.isNegative()) {
            throw usage(option + " must be longer than 0, was " + (d.isNegative() ? d : ServeValues.formatDuration(d)));
        }
    }

    private void requireFile(String option, Path file) {
        if (!Files.isRegularFile(file)) {
            throw usage(option + " " + file + ": " + (Files.exists(file) ? "not a regular file" : "no such file"));
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private KeelServer start(ServerConfig config) {
        try {
            return KeelServer.start(config);
        } catch (SchemaDocumentException e) {
            throw new CliException(ExitCodes.PROBLEMS, e.getMessage(), "fix the schema file (docs/server-schema.md"
                    + " describes it); nothing was started");
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BindException || t.getClass().getSimpleName().equals("JavalinBindException")) {
                    throw new CliException(ExitCodes.IO_ERROR, "cannot listen on " + config.host() + ":"
                            + config.port() + ": " + t.getMessage(), "another process (another keel serve?) uses the"
                            + " port: stop it, or choose another with --port (0 picks a free one)");
                }
            }
            throw e;
        }
    }

    /**
     * The server's own log lines (access log, shutdown) are INFO; the command line's logger
     * configuration shows only warnings. Takes effect when the logger starts, which for a
     * {@code keel serve} process is now (before anything has logged); a property given with -D wins.
     */
    private static void showServerLogs() {
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log.dev.keel.server", "info");
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    }

    private void printListening(KeelServer server, boolean existing) {
        ServerConfig c = server.config();
        boolean tls = c.tlsKeystore() != null;
        out().printf("KeelDB server listening on %s://%s:%d%s%n", tls ? "https" : "http", bracketed(c.host()),
                server.port(), c.loopbackOnly() ? "" : " (reachable from other machines)");
        out().printf("  data directory: %s (%s)%n", c.dataDirectory().toAbsolutePath().normalize(),
                existing ? "existing database" : "new database");
        long readOnly = c.tokens().stream().filter(t -> !t.canWrite()).count();
        out().printf("  durability: %s, auth: %s, TLS: %s%s%n", c.durability().name().toLowerCase(Locale.ROOT),
                c.tokens().isEmpty() ? "none (loopback only)" : c.tokens().size() + " token(s), " + readOnly
                        + " read-only", tls ? "on" : "off", c.schemaFile() == null ? "" : ", schema: " + c.schemaFile());
        out().println("opening the database...");
        out().flush();
    }

    /** Waits until the database is READY or its open failed, reporting a long open every 5 s. */
    private void awaitOpen(KeelServer server, long startedNanos) throws InterruptedException {
        DatabaseHolder holder = server.database();
        long nextReport = startedNanos + TimeUnit.SECONDS.toNanos(2);
        while (!holder.shuttingDown()) {
            Optional<Throwable> failure = holder.failure();
            if (failure.isPresent()) {
                reportFailure(failure.get());
                return;
            }
            if (holder.database().isPresent()) {
                List<EntityType> types = holder.database().map(db -> db.schema()).orElse(List.of());
                out().printf("ready in %s: %s%nTry:%n", Format.duration(Duration.ofNanos(System.nanoTime()
                        - startedNanos)), types.isEmpty() ? "no entity types yet" : types.size() + " entity type(s): "
                        + String.join(", ", types.stream().map(EntityType::name).toList()));
                ServerConfig c = server.config();
                ServeHints.commands(baseUrl(c, server.port()), types, !c.tokens().isEmpty(), c.tlsKeystore() != null)
                        .forEach(line -> out().println("  " + line));
                return;
            }
            if (System.nanoTime() > nextReport) {
                BootProgress p = holder.progress();
                out().printf("  still opening: %s, %.1f%%%n", p.phase(), p.percent());
                out().flush();
                nextReport += TimeUnit.SECONDS.toNanos(5);
            }
            Thread.sleep(20);
        }
    }

    private void reportFailure(Throwable cause) {
        String[] explained = cause instanceof Exception e ? ErrorHandler.explain(e, "serve")
                : new String[] {cause.toString(), null};
        err().println(spec.qualifiedName() + ": the database failed to open: " + explained[0]);
        if (explained[1] != null) {
            err().println("  " + explained[1]);
        }
        err().println("  the server keeps running (alive, not ready: GET /health shows the cause); stop it, fix the"
                + " cause and start it again");
        err().flush();
    }

    /** Where a client on this machine reaches the server: a wildcard bind is reached on loopback. */
    static String baseUrl(ServerConfig c, int port) {
        String h = c.host();
        if (h.isEmpty() || h.equals("0.0.0.0")) {
            h = "127.0.0.1";
        } else if (h.equals("::") || h.equals("[::]")) {
            h = "::1";
        }
        return (c.tlsKeystore() != null ? "https" : "http") + "://" + bracketed(h) + ":" + port;
    }

    private static String bracketed(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
