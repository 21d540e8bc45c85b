package dev.keel.server;

import dev.keel.Durability;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Everything {@code keel serve} can be told, with the defaults a newcomer gets from a bare
 * {@code keel serve}: data in {@code ./keel-data}, port 7070 on 127.0.0.1, no auth, no TLS, durable
 * commits. Validated when built; {@link KeelServer#start} validates what needs the outside world
 * (binding a non-loopback address needs tokens). Immutable and thread-safe.
 *
 * @param dataDirectory the database directory; created on first start
 * @param host the address to bind; a non-loopback one needs {@code tokens}
 * @param port the port; 0 picks a free one ({@link KeelServer#port()} tells which)
 * @param schemaFile a JSON or YAML schema file applied at start, or null to serve the stored schema
 * @param durability the commit durability for every write (default {@link Durability#SYNC})
 * @param tokens bearer tokens and what each may do; empty means no auth (loopback only)
 * @param tlsKeystore a PKCS#12 or JKS keystore to serve HTTPS from, or null for plain HTTP
 * @param tlsKeystorePassword the keystore's password, or null
 * @param maxBodyBytes largest accepted request body (413 above it); default 4 MiB
 * @param maxJsonDepth deepest accepted JSON nesting (400 above it); default 32
 * @param maxStringLength longest accepted JSON string in characters (400 above it); default 1 Mi
 * @param maxVectorLength most elements in a vector value (400 above it); default 4096
 * @param maxPageSize most entities in one page of a list; default 1000 (default page 100)
 * @param requestTimeout the connection idle timeout (a client silent that long while sending its request or
 *        reading the answer is disconnected) and the longest a request waits for a schema change holding the
 *        database before it is answered 503 {@code timeout}; a database operation that has begun is not cut
 *        short (see {@link dev.keel.server.ops.ServerOps}); default 30 s
 * @param shutdownDrain how long a graceful shutdown waits for in-flight requests; default 10 s
 * @param idempotencyKeyTtl how long an idempotency key is remembered; default 24 h
 * @param accessLog whether each request is logged (method, path, status, time, bytes); default on
 */
public record ServerConfig(Path dataDirectory, String host, int port, Path schemaFile, Durability durability,
        Set<Token> tokens, Path tlsKeystore, String tlsKeystorePassword, long maxBodyBytes, int maxJsonDepth,
        int maxStringLength, int maxVectorLength, int maxPageSize, Duration requestTimeout, Duration shutdownDrain,
        Duration idempotencyKeyTtl, boolean accessLog) {

    /** A bearer token and whether it may write (a read-only token gets 403 on writes). */
    public record Token(String secret, boolean canWrite) {
        public Token {
            Objects.requireNonNull(secret, "secret");
            if (secret.length() < 16) {
                throw new IllegalArgumentException("a token must have at least 16 characters; generate one with"
                        + " `openssl rand -hex 32`");
            }
        }

        @Override
        public String toString() {
            return "Token[" + (canWrite ? "read-write" : "read-only") + "]";
        }
    }

    public ServerConfig {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(durability, "durability");
        tokens = Set.copyOf(tokens);
        requirePositive(port >= 0 && port <= 65535, "port must be 0..65535, not " + port);
        requirePositive(maxBodyBytes > 0, "maxBodyBytes must be positive");
        requirePositive(maxJsonDepth > 0, "maxJsonDepth must be positive");
        requirePositive(maxStringLength > 0, "maxStringLength must be positive");
        requirePositive(maxVectorLength > 0, "maxVectorLength must be positive");
        requirePositive(maxPageSize > 0, "maxPageSize must be positive");
        requirePositive(!requestTimeout.isNegative() && !requestTimeout.isZero(), "requestTimeout must be positive");
        requirePositive(!shutdownDrain.isNegative(), "shutdownDrain must not be negative");
        requirePositive(!idempotencyKeyTtl.isNegative() && !idempotencyKeyTtl.isZero(),
                "idempotencyKeyTtl must be positive");
        if (tlsKeystore == null && tlsKeystorePassword != null) {
            throw new IllegalArgumentException("a keystore password was given without a keystore");
        }
    }

    private static void requirePositive(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.dataDirectory = dataDirectory;
        b.host = host;
        b.port = port;
        b.schemaFile = schemaFile;
        b.durability = durability;
        b.tokens = tokens;
        b.tlsKeystore = tlsKeystore;
        b.tlsKeystorePassword = tlsKeystorePassword;
        b.maxBodyBytes = maxBodyBytes;
        b.maxJsonDepth = maxJsonDepth;
        b.maxStringLength = maxStringLength;
        b.maxVectorLength = maxVectorLength;
        b.maxPageSize = maxPageSize;
        b.requestTimeout = requestTimeout;
        b.shutdownDrain = shutdownDrain;
        b.idempotencyKeyTtl = idempotencyKeyTtl;
        b.accessLog = accessLog;
        return b;
    }

    /** True if {@link #host} is a loopback address (127.0.0.0/8, ::1, localhost). */
    public boolean loopbackOnly() {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve host '" + host + "': " + e.getMessage(), e);
        }
    }

    /** Builds a {@link ServerConfig}; every setter's default is on the record's parameter. */
    public static final class Builder {
        private Path dataDirectory = Path.of("keel-data");
        private String host = "127.0.0.1";
        private int port = 7070;
        private Path schemaFile;
        private Durability durability = Durability.SYNC;
        private Set<Token> tokens = Set.of();
        private Path tlsKeystore;
        private String tlsKeystorePassword;
        private long maxBodyBytes = 4L << 20;
        private int maxJsonDepth = 32;
        private int maxStringLength = 1 << 20;
        private int maxVectorLength = 4096;
        private int maxPageSize = 1000;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration shutdownDrain = Duration.ofSeconds(10);
        private Duration idempotencyKeyTtl = Duration.ofHours(24);
        private boolean accessLog = true;

        private Builder() {
        }

        public Builder dataDirectory(Path value) {
            dataDirectory = value;
            return this;
        }

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder port(int value) {
            port = value;
            return this;
        }

        public Builder schemaFile(Path value) {
            schemaFile = value;
            return this;
        }

        public Builder durability(Durability value) {
            durability = value;
            return this;
        }

        public Builder tokens(Set<Token> value) {
            tokens = value;
            return this;
        }

        public Builder tls(Path keystore, String password) {
            tlsKeystore = keystore;
            tlsKeystorePassword = password;
            return this;
        }

        public Builder maxBodyBytes(long value) {
            maxBodyBytes = value;
            return this;
        }

        public Builder maxJsonDepth(int value) {
            maxJsonDepth = value;
            return this;
        }

        public Builder maxStringLength(int value) {
            maxStringLength = value;
            return this;
        }

        public Builder maxVectorLength(int value) {
            maxVectorLength = value;
            return this;
        }

        public Builder maxPageSize(int value) {
            maxPageSize = value;
            return this;
        }

        public Builder requestTimeout(Duration value) {
            requestTimeout = value;
            return this;
        }

        public Builder shutdownDrain(Duration value) {
            shutdownDrain = value;
            return this;
        }

        public Builder idempotencyKeyTtl(Duration value) {
            idempotencyKeyTtl = value;
            return this;
        }

        public Builder accessLog(boolean value) {
            accessLog = value;
            return this;
        }

        public ServerConfig build() {
            return new ServerConfig(dataDirectory, host, port, schemaFile, durability, tokens, tlsKeystore,
                    tlsKeystorePassword, maxBodyBytes, maxJsonDepth, maxStringLength, maxVectorLength, maxPageSize,
                    requestTimeout, shutdownDrain, idempotencyKeyTtl, accessLog);
        }
    }
}
