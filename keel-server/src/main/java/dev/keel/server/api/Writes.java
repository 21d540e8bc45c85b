package dev.keel.server.api;

import dev.keel.IdempotentResult;
import dev.keel.KeelDb;
import dev.keel.Transaction;
import dev.keel.server.ApiException;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
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
 * the first commit's LSN, plus {@code Idempotent-Replayed: true}; nothing is written again.
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
        byte[] request = fingerprint(ctx.method().name(), ctx.path(), body == null ? new byte[0] : body.bytes());
        IdempotentResult result = db.writeIdempotent(key, request, tx -> work.apply(tx).encode());
        StoredResponse.decode(result.response()).render(result.commitLsn()).send(ctx, result.replayed());
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
