package dev.keel.server.api;

import dev.keel.IdempotentResult;
import dev.keel.KeelDb;
import dev.keel.Transaction;
import dev.keel.server.ApiException;
import dev.keel.server.RequestPrincipal;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * Runs the write of a request and answers it, with or without an {@code Idempotency-Key}.
 *
 * <p>Durability: the answer is sent only after the commit returned, that is once the write is
 * durable under the configured durability mode; a request that fails or times out before that was
 * not acknowledged. The work runs inside {@link KeelDb#write} (or {@code writeIdempotent}), which
 * reruns it after a conflict, so it must have no effect outside the transaction.
 *
 * <p>Idempotency: with a key the work runs through the core's idempotent write, which stores the
 * response template ({@link StoredResponse#encode}) in the same transaction as the writes. A retry
 * with the same key and request (method, path and body) gets the stored response, rendered with
 * the first commit's LSN, plus {@code Idempotent-Replayed: true}; nothing is written again. The
 * request is identified by method, path, {@code If-Match} and body, so a retry with another
 * precondition is a different request (422), not a replay.
 *
 * <p>Keys are kept per client: the key stored is the client's {@link RequestPrincipal} id, a colon
 * and the key (or the key's SHA-256 when that would pass the core's 255 characters), so a client
 * that uses, or guesses, another client's key gets a fresh run, never the other's stored response.
 */
final class Writes {
    static final String KEY_HEADER = "Idempotency-Key";
    static final int MAX_KEY_LENGTH = 255;

    private Writes() {
    }

    /** Runs {@code work} for the request in {@code ctx} (whose body is {@code body}, or null) and sends the answer. */
    static void answer(Context ctx, KeelDb db, RequestBody body, Function<? super Transaction, StoredResponse> work) {
        String key = idempotencyKey(ctx.header(KEY_HEADER));
        if (key == null) {
            Transaction[] committed = new Transaction[1];
            StoredResponse template = db.write(tx -> {
                committed[0] = tx;
                return work.apply(tx);
            });
            template.render(committed[0].committedLsn()).send(ctx, false);
            return;
        }
        String ifMatch = ctx.header("If-Match");
        byte[] request = fingerprint(ctx.method().name() + (ifMatch != null ? " if-match=" + ifMatch : ""),
                ctx.path(), body == null ? new byte[0] : body.bytes());
        IdempotentResult result = db.writeIdempotent(scopedKey(RequestPrincipal.of(ctx), key), request, tx -> work.apply(tx).encode());
        StoredResponse.decode(result.response()).render(result.commitLsn()).send(ctx, result.replayed());
    }

    /** The key stored for {@code principal}'s {@code key}: at most {@value #MAX_KEY_LENGTH} visible ASCII characters. */
    static String scopedKey(String principal, String key) {
        String scoped = principal + ":" + key;
        if (scoped.length() <= MAX_KEY_LENGTH) {
            return scoped;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII));
            return principal + ":sha256:" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The bytes that identify a request for its idempotency key: method, path and body. */
    static byte[] fingerprint(String method, String path, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((method + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(body);
        return out.toByteArray();
    }

    /**
     * Checks an {@code Idempotency-Key} header value: 1 to 255 visible ASCII characters. The IETF draft
     * sends it as a structured-field string ({@code "abc"}); the quotes are accepted and removed.
     *
     * @return the key, or null when the header is absent
     * @throws ApiException 400 for an empty, too long or non-ASCII key
     */
    static String idempotencyKey(String header) {
        if (header == null) {
            return null;
        }
        String key = header.length() >= 2 && header.startsWith("\"") && header.endsWith("\"")
                ? header.substring(1, header.length() - 1) : header;
        String problem = null;
        if (key.isEmpty()) {
            problem = "is empty";
        } else if (key.length() > MAX_KEY_LENGTH) {
            problem = "has " + key.length() + " characters, more than " + MAX_KEY_LENGTH;
        } else {
            for (int i = 0; i < key.length() && problem == null; i++) {
                char c = key.charAt(i);
                if (c < 0x21 || c > 0x7E) {
                    problem = "has " + String.format("U+%04X", (int) c) + " at index " + i
                            + ", which is not a visible ASCII character";
                }
            }
        }
        if (problem != null) {
            throw new ApiException(400, "bad-request", "Bad request", KEY_HEADER + " " + problem + "; use 1 to "
                    + MAX_KEY_LENGTH + " visible ASCII characters (0x21 to 0x7E), e.g. a UUID").with("header", KEY_HEADER);
        }
        return key;
    }
}
