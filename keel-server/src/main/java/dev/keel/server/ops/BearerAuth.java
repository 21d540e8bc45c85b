package dev.keel.server.ops;

import dev.keel.server.ApiException;
import dev.keel.server.RequestPrincipal;
import dev.keel.server.ServerConfig.Token;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Bearer-token authentication (RFC 6750) for every path except the four probe paths
 * ({@link ProbeRoutes#PATHS}: exactly those, so no path that merely starts like one gets through). With no tokens configured it lets everything through ({@link dev.keel.server.KeelServer}
 * allows that only on a loopback address).
 *
 * <ul>
 *   <li>No {@code Authorization: Bearer <token>} header, or a token the server does not know: 401
 *       {@code unauthorized} with {@code WWW-Authenticate: Bearer realm="keel"} (plus
 *       {@code error="invalid_token"} for an unknown token).</li>
 *   <li>A read-only token on anything but GET, HEAD and OPTIONS: 403 {@code forbidden}.</li>
 * </ul>
 *
 * <p>Comparison: the presented token and every configured one are compared as SHA-256 digests with
 * {@link MessageDigest#isEqual}, always against all configured tokens, so the time taken does not
 * depend on how much of a token matched nor on which one matched. Tokens are never logged nor
 * echoed in answers. Thread-safe.
 */
public final class BearerAuth {
    private static final String CHALLENGE = "Bearer realm=\"keel\"";

    private record Entry(byte[] digest, boolean canWrite) {
    }

    private final List<Entry> tokens;

    public BearerAuth(Set<Token> tokens) {
        this.tokens = tokens.stream().map(t -> new Entry(sha256(t.secret()), t.canWrite())).toList();
    }

    /** True when tokens are configured, so requests need one. */
    public boolean enabled() {
        return !tokens.isEmpty();
    }

    /**
     * Checks {@code ctx}'s token (a Javalin before-handler).
     *
     * @throws ApiException 401 {@code unauthorized} or 403 {@code forbidden}
     */
    public void check(Context ctx) {
        if (tokens.isEmpty() || ProbeRoutes.PATHS.contains(ctx.path())) {
            return;
        }
        String presented = bearerToken(ctx.header("Authorization"));
        if (presented == null) {
            throw new ApiException(401, "unauthorized", "Unauthorized", "this server needs a bearer token: send the"
                    + " header 'Authorization: Bearer <token>' with a token from the server's token file or"
                    + " KEEL_TOKENS (only /health and its probes are open)").header("WWW-Authenticate", CHALLENGE);
        }
        byte[] digest = sha256(presented);
        boolean known = false;
        boolean canWrite = false;
        for (Entry e : tokens) {
            boolean equal = MessageDigest.isEqual(e.digest(), digest);
            known |= equal;
            canWrite |= equal & e.canWrite();
        }
        if (!known) {
            throw new ApiException(401, "unauthorized", "Unauthorized", "the bearer token is not one this server"
                    + " accepts; check it against the server's token file or KEEL_TOKENS")
                    .header("WWW-Authenticate", CHALLENGE + ", error=\"invalid_token\"");
        }
        RequestPrincipal.set(ctx, java.util.HexFormat.of().formatHex(digest, 0, 8));
        if (!canWrite && !isRead(ctx.req().getMethod())) {
            throw new ApiException(403, "forbidden", "Forbidden", "this token is read-only and " + ctx.req().getMethod()
                    + " changes data; use a read-write token (marked read-write, or unmarked, in the token file)");
        }
    }

    private static boolean isRead(String method) {
        return method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS");
    }

    /** The token of an {@code Authorization} header of scheme Bearer (case-insensitive), or null. */
    static String bearerToken(String header) {
        if (header == null) {
            return null;
        }
        String h = header.strip();
        int space = h.indexOf(' ');
        if (space <= 0 || !h.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return null;
        }
        String token = h.substring(space + 1).strip();
        return token.isEmpty() || token.indexOf(' ') >= 0 ? null : token;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
