package dev.keel.server.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.UnrecoverableKeyException;
import java.time.Duration;
import java.util.Collections;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The server's one listening connector: plain HTTP, or HTTPS only when a keystore is configured
 * (there is then no plain-HTTP port at all).
 *
 * <p>The keystore is loaded and checked by {@link #loadKeystore} before anything binds or opens:
 * the file must exist and be readable, be PKCS#12 or JKS (recognised by its content, whatever its
 * name), open with the password, and hold a private key with its certificate chain that opens with
 * the same password. Each failure is an {@link IllegalArgumentException} saying which of these it
 * was and what to do.
 *
 * <p>Request time limit: the connector's idle timeout is the configured request timeout. It bounds
 * how long a connection may stay silent: a client that stops sending its request (headers or body)
 * or stops reading the answer, and an idle keep-alive connection, is closed after it. It does not
 * interrupt a request whose handler is running (see {@link dev.keel.server.KeelServer} for what is
 * bounded there).
 */
final class Connectors {
    private Connectors() {
    }

    /**
     * Loads and checks a TLS keystore (see the class comment).
     *
     * @throws IllegalArgumentException the keystore cannot be used, saying why
     */
    static KeyStore loadKeystore(Path file, String password) {
        char[] pw = password == null ? new char[0] : password.toCharArray();
        String what = "TLS keystore " + file;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + " does not exist or is not a file");
        }
        KeyStore ks;
        try {
            ks = KeyStore.getInstance(file.toFile(), pw);
        } catch (KeyStoreException e) {
            throw new IllegalArgumentException(what + " is neither a PKCS#12 nor a JKS keystore (" + e.getMessage()
                    + "); make one with `keytool -genkeypair -storetype PKCS12 -keystore " + file + " ...`", e);
        } catch (IOException e) {
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException(what + " cannot be read by this process (check its permissions)", e);
            }
            if (e.getCause() instanceof UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("password")) {
                throw new IllegalArgumentException(what + ": wrong keystore password (or the file is damaged)", e);
            }
            throw new IllegalArgumentException(what + " cannot be read: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + " cannot be loaded: " + e.getMessage(), e);
        }
        try {
            boolean hasKey = false;
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(alias)) {
                    ks.getKey(alias, pw);
                    hasKey = true;
                }
            }
            if (!hasKey) {
                throw new IllegalArgumentException(what + " holds no private key, only certificates; the server needs"
                        + " its own key and certificate (`keytool -genkeypair ...`)");
            }
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException(what + ": its private key does not open with the keystore password;"
                    + " give the key the same password as the keystore", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + " cannot be used: " + e.getMessage(), e);
        }
        return ks;
    }

    /**
     * The connector for {@code host:port}: HTTPS from {@code keystore} when it is not null, else HTTP;
     * idle timeout {@code idleTimeout}.
     */
    static ServerConnector create(Server server, HttpConfiguration http, String host, int port, Duration idleTimeout,
            KeyStore keystore, String password) {
        ServerConnector connector;
        if (keystore == null) {
            connector = new ServerConnector(server, new HttpConnectionFactory(http));
        } else {
            SslContextFactory.Server tls = new SslContextFactory.Server();
            tls.setKeyStore(keystore);
            String pw = password == null ? "" : password;
            tls.setKeyStorePassword(pw);
            tls.setKeyManagerPassword(pw);
            HttpConfiguration https = new HttpConfiguration(http);
            // Clients may connect by IP address or a name the certificate does not list; the
            // certificate check is theirs, not the server's.
            SecureRequestCustomizer secure = new SecureRequestCustomizer(false);
            secure.setSniHostCheck(false);
            https.addCustomizer(secure);
            connector = new ServerConnector(server, new SslConnectionFactory(tls, HttpVersion.HTTP_1_1.asString()),
                    new HttpConnectionFactory(https));
        }
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(idleTimeout.toMillis());
        return connector;
    }
}
