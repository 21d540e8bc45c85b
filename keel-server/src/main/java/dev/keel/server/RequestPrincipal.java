package dev.keel.server;

import io.javalin.http.Context;

/**
 * Who made a request, as far as the server knows: set by the bearer-token check, read where data is
 * kept per client (idempotency keys, so one client can never receive another's stored response).
 * The id is the first 8 bytes of the SHA-256 of the token, in hex: stable across restarts, and it
 * does not reveal the token. Without auth every request is {@link #ANONYMOUS}.
 */
public final class RequestPrincipal {
    public static final String ANONYMOUS = "anonymous";
    private static final String ATTRIBUTE = "keel.principal";

    private RequestPrincipal() {
    }

    /** Records the authenticated client's id on the request. */
    public static void set(Context ctx, String id) {
        ctx.attribute(ATTRIBUTE, id);
    }

    /** The authenticated client's id, or {@link #ANONYMOUS}. */
    public static String of(Context ctx) {
        String id = ctx.attribute(ATTRIBUTE);
        return id != null ? id : ANONYMOUS;
    }
}
