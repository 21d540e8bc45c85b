package dev.keel.server.ops;

import static dev.keel.server.ops.OpsTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keel.server.KeelServer;
import dev.keel.server.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS from a keystore made with keytool; unusable keystores are refused before anything binds or opens. */
class TlsTest {
    static final String PASSWORD = "keel-test-pw";

    @TempDir
    Path tmp;

    /** Runs keytool; fails the test with its output when it fails. */
    static void keytool(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertEquals(0, p.waitFor(), "keytool " + String.join(" ", args) + ":\n" + out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A key pair for localhost and 127.0.0.1 in a new keystore of {@code type}. */
    static Path keystore(Path file, String type, String storePassword, String keyPassword) {
        keytool("-genkeypair", "-alias", "keel", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", type,
                "-keystore", file.toString(), "-storepass", storePassword, "-keypass", keyPassword);
        return file;
    }

    /** A client that trusts exactly the certificate in {@code keystore}. */
    static HttpClient trusting(Path keystore, String password) throws Exception {
        KeyStore server = KeyStore.getInstance(keystore.toFile(), password.toCharArray());
        Certificate cert = server.getCertificate("keel");
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("keel", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private KeelServer start(Path keystore, String password) {
        return KeelServer.start(ServerConfig.builder().dataDirectory(tmp.resolve("db")).port(0).accessLog(false)
                .tls(keystore, password).build());
    }

    @Test
    void servesHttpsOnlyFromAPkcs12Keystore() throws Exception {
        Path ks = keystore(tmp.resolve("server.p12"), "PKCS12", PASSWORD, PASSWORD);
        try (KeelServer server = start(ks, PASSWORD)) {
            OpsTestSupport.Client https = new OpsTestSupport.Client(trusting(ks, PASSWORD),
                    "https://127.0.0.1:" + server.port());
            await("ready over https", () -> https.get("/health/ready").statusCode() == 200);
            HttpResponse<String> live = https.get("/health/live");
            assertEquals(200, live.statusCode());
            assertTrue(live.uri().getScheme().equals("https"));

            OpsTestSupport.Client plain = new OpsTestSupport.Client(server.port());
            try {
                HttpResponse<String> r = plain.get("/health/live");
                assertTrue(r.statusCode() >= 400, "plain HTTP is not served: " + r.statusCode());
            } catch (UncheckedIOException expected) {
                // The TLS connector drops a plain-HTTP connection.
            }
        }
    }

    @Test
    void aJksKeystoreIsRecognisedByItsContent() throws Exception {
        Path ks = keystore(tmp.resolve("server.keys"), "JKS", PASSWORD, PASSWORD);
        try (KeelServer server = start(ks, PASSWORD)) {
            OpsTestSupport.Client https = new OpsTestSupport.Client(trusting(ks, PASSWORD),
                    "https://localhost:" + server.port());
            assertEquals(200, https.get("/health/live").statusCode());
        }
    }

    @Test
    void unusableKeystoresAreRefusedBeforeAnythingOpens() throws IOException {
        Path p12 = keystore(tmp.resolve("server.p12"), "PKCS12", PASSWORD, PASSWORD);
        assertRefused(p12, "not-the-password", "wrong keystore password");
        assertRefused(tmp.resolve("missing.p12"), PASSWORD, "does not exist");
        Path text = tmp.resolve("notes.p12");
        Files.writeString(text, "not a keystore\n");
        assertRefused(text, PASSWORD, "neither a PKCS#12 nor a JKS keystore");
        Path jks = keystore(tmp.resolve("other-key-password.jks"), "JKS", PASSWORD, "another-pw-123");
        assertRefused(jks, PASSWORD, "private key does not open with the keystore password");
        Path certOnly = tmp.resolve("trust.p12");
        keytool("-exportcert", "-alias", "keel", "-keystore", p12.toString(), "-storepass", PASSWORD, "-rfc",
                "-file", tmp.resolve("keel.pem").toString());
        keytool("-importcert", "-noprompt", "-alias", "keel", "-file", tmp.resolve("keel.pem").toString(),
                "-storetype", "PKCS12", "-keystore", certOnly.toString(), "-storepass", PASSWORD);
        assertRefused(certOnly, PASSWORD, "holds no private key");
    }

    private void assertRefused(Path keystore, String password, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> start(keystore, password));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().contains(keystore.toString()), "names the file: " + e.getMessage());
        assertFalse(e.getMessage().contains(password), "never prints the password");
        assertFalse(Files.exists(tmp.resolve("db")), "the database was not opened");
    }
}
