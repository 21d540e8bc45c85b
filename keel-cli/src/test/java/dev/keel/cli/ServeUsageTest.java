package dev.keel.cli;

import static dev.keel.cli.TestDbs.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.Durability;
import dev.keel.EntityType;
import dev.keel.Field;
import dev.keel.server.ServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code keel serve} refusing what it cannot serve, before it binds or creates anything: usage
 * errors (64) naming the option, a data directory that is not a database (4), a port in use (5); and
 * the value parsers behind its options. The running server is tested in {@link ServeProcessTest}.
 */
class ServeUsageTest {
    private static final String TOKEN = "0123456789abcdef0123";

    @TempDir
    Path tmp;

    private Cli.Result serve(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "serve";
        all[1] = "--data";
        all[2] = tmp.resolve("db").toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return Cli.run(all);
    }

    private void assertUsage(Cli.Result r, String... parts) {
        assertEquals(64, r.exitCode(), r.toString());
        assertContains(r.err(), "keel serve: ");
        assertContains(r.err(), parts);
        assertContains(r.err(), "Usage: keel serve", "keel serve --help");
        assertFalse(Files.exists(tmp.resolve("db")), "a usage error creates nothing");
    }

    @Test
    void badFlagsAreUsageErrorsNamingTheFlag() throws IOException {
        assertUsage(serve("--no-such-flag"), "Unknown option: '--no-such-flag'");
        assertUsage(serve("--port", "70000"), "--port must be between 0 and 65535");
        assertUsage(serve("--port", "-1"), "--port must be between 0 and 65535");
        assertUsage(serve("--port", "http"), "Invalid value for option '--port'");
        assertUsage(serve("--durability", "fast"), "'fast' is not a durability; expected sync, group or async");
        assertUsage(serve("--request-timeout", "30"), "'30' is not a duration", "30s");
        assertUsage(serve("--request-timeout", "0s"), "--request-timeout must be longer than 0");
        assertUsage(serve("--shutdown-drain", "soon"), "'soon' is not a duration");
        assertUsage(serve("--idempotency-ttl", "PT0S"), "--idempotency-ttl must be longer than 0");
        assertUsage(serve("--max-body-bytes", "4x"), "'4x' is not a size in bytes");
        assertUsage(serve("--max-body-bytes", "0"), "--max-body-bytes must be at least 1");
        assertUsage(serve("--schema", tmp.resolve("none.yaml").toString()), "--schema", "none.yaml: no such file");
        assertUsage(serve("--tls-password-env", "KEEL_TEST_PW"), "--tls-password-env needs --tls-keystore");
        assertUsage(serve("--tls-keystore", tmp.resolve("none.p12").toString(), "--tls-password-env", "X"),
                "--tls-keystore", "none.p12: no such file");
        Path keystore = Files.writeString(tmp.resolve("ks.p12"), "not really");
        assertUsage(serve("--tls-keystore", keystore.toString()), "--tls-keystore needs --tls-password-env");
        assertUsage(serve("--tls-keystore", keystore.toString(), "--tls-password-env", "KEEL_TEST_SURELY_UNSET_VAR"),
                "KEEL_TEST_SURELY_UNSET_VAR: the environment variable is not set");
        assertUsage(serve("--port"), "Missing required parameter for option '--port'");
    }

    @Test
    void aSchemaFileWithErrorsIs1ListingEveryErrorAndStartsNothing() throws IOException {
        Path bad = Files.writeString(tmp.resolve("schema.yaml"), """
                types:
                  - name: Person
                    fields:
                      - {name: age, type: INT, min: 10, max: 5}
                      - {name: nick, type: TEXT, requird: true}
                """);
        Cli.Result r = serve("--schema", bad.toString(), "--port", "0");
        assertEquals(1, r.exitCode(), r.toString());
        assertContains(r.err(), "keel serve: schema file ", "is not a valid schema document (2 errors)",
                "min 10 is above max 5", "requird", "fix the schema file");
        assertFalse(Files.exists(tmp.resolve("db")), "nothing was created");
    }

    @Test
    void aNonLoopbackHostWithoutTokensIsRefused() {
        assertUsage(serve("--host", "0.0.0.0", "--port", "0"), "refusing to listen on 0.0.0.0 without authentication",
                "--token-file or KEEL_TOKENS");
    }

    @Test
    void tokenFileProblemsNameTheLineButNotTheToken() throws IOException {
        assertUsage(serve("--token-file", tmp.resolve("none.txt").toString()), "token file", "none.txt does not exist");
        Path shortToken = Files.writeString(tmp.resolve("short.txt"), "# tokens\n" + TOKEN + "\nsecret12 read-only\n");
        Cli.Result r = serve("--token-file", shortToken.toString());
        assertUsage(r, "short.txt line 3: a token must have at least 16 characters", "openssl rand -hex 32");
        assertFalse(r.err().contains("secret12"), "the token is not printed: " + r.err());
        Path badAccess = Files.writeString(tmp.resolve("access.txt"), TOKEN + " admin\n");
        assertUsage(serve("--token-file", badAccess.toString()), "access.txt line 1: the access after the token is"
                + " neither read-only nor read-write");
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "# nothing yet\n\n");
        assertUsage(serve("--token-file", empty.toString()), "empty.txt holds no token");
    }

    @Test
    void aDirectoryThatIsNotADatabaseIs4AndStaysUntouched() throws IOException {
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.writeString(other.resolve("notes.txt"), "mine");
        Cli.Result r = Cli.run("serve", "--data", other.toString(), "--port", "0");
        assertEquals(4, r.exitCode(), r.toString());
        assertContains(r.err(), "keel serve: data directory " + other + " is not empty and not a KeelDB database (it"
                + " holds notes.txt)");
        assertEquals(1, TestDbs.list(other).size());
        Path file = Files.writeString(tmp.resolve("file"), "x");
        Cli.Result f = Cli.run("serve", "--data", file.toString(), "--port", "0");
        assertEquals(4, f.exitCode(), f.toString());
        assertContains(f.err(), "is a file, not a directory");
    }

    @Test
    void aPortInUseIs5NamingIt() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Cli.Result r = serve("--port", Integer.toString(taken.getLocalPort()), "--no-access-log");
            assertEquals(5, r.exitCode(), r.toString());
            assertContains(r.err(), "keel serve: cannot listen on 127.0.0.1:" + taken.getLocalPort(), "--port");
        }
    }

    @Test
    void helpShowsTheServerConfigDefaults() {
        Cli.Result r = Cli.run("serve", "--help");
        assertEquals(0, r.exitCode(), r.toString());
        ServerConfig defaults = ServerConfig.builder().build();
        assertContains(r.out().replaceAll("\\s+", " "), "default: " + defaults.dataDirectory(), "default: " + defaults.host(),
                "default: " + defaults.port(), "default: sync", "default: 30s", "default: 10s", "default: 24h",
                "default: " + defaults.maxBodyBytes(), "KEEL_TOKENS", "Examples:", "Exit codes:");
    }

    @Test
    void durationsSizesAndDurabilities() {
        assertEquals(Duration.ofSeconds(30), ServeValues.parseDuration("30s"));
        assertEquals(Duration.ofMillis(250), ServeValues.parseDuration("250ms"));
        assertEquals(Duration.ofMinutes(90), ServeValues.parseDuration("1h30m"));
        assertEquals(Duration.ofDays(2), ServeValues.parseDuration("2d"));
        assertEquals(Duration.ofSeconds(45), ServeValues.parseDuration("PT45S"));
        assertEquals(Duration.ZERO, ServeValues.parseDuration("0"));
        for (String bad : List.of("", "30", "s", "3 s", "30sec", "1.5h", "-5s", "PTx")) {
            assertThrows(TypeConversionException.class, () -> ServeValues.parseDuration(bad), bad);
        }
        for (Duration d : List.of(Duration.ofSeconds(30), Duration.ofHours(24), Duration.ofMillis(1500),
                Duration.ofMinutes(61), Duration.ZERO)) {
            assertEquals(d, ServeValues.parseDuration(ServeValues.formatDuration(d)), d.toString());
        }
        assertEquals("24h", ServeValues.formatDuration(Duration.ofHours(24)));
        assertEquals(4L << 20, ServeValues.parseSize("4m"));
        assertEquals(4L << 20, ServeValues.parseSize("4MiB"));
        assertEquals(512L << 10, ServeValues.parseSize("512k"));
        assertEquals(1L << 30, ServeValues.parseSize("1g"));
        assertEquals(1234, ServeValues.parseSize("1234"));
        for (String bad : List.of("", "4x", "-1", "1.5m", "99999999999999999999", "9999999999999g")) {
            assertThrows(TypeConversionException.class, () -> ServeValues.parseSize(bad), bad);
        }
        assertEquals(Durability.GROUP, ServeValues.parseDurability("Group"));
        assertEquals(Durability.ASYNC, ServeValues.parseDurability("async"));
    }

    @Test
    void exampleValuesKeepTheSimpleRules() {
        EntityType t = EntityType.builder("Order")
                .field(Field.text("code").required().length(10, 12))
                .field(Field.text("state").required().oneOf("open", "closed"))
                .field(Field.longField("qty").required().min(3L).max(9L))
                .field(Field.intField("small").required().max(0))
                .field(Field.text("note"))
                .field(Field.text("kind").required().defaultValue("a"))
                .build();
        assertEquals("{\"code\":\"examplexxx\",\"state\":\"open\",\"qty\":3,\"small\":0}", ServeHints.exampleValues(t));
        List<String> hints = ServeHints.commands("http://127.0.0.1:1", List.of(t), true, false);
        assertTrue(hints.get(1).contains("-X POST http://127.0.0.1:1/v1/entities/Order"), hints.toString());
        assertTrue(hints.get(1).contains("Authorization: Bearer $KEEL_TOKEN"), hints.toString());
    }
}
