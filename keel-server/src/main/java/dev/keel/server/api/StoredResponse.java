package dev.keel.server.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The answer to a write, made inside its transaction before the commit, and stored with its
 * idempotency key in the same transaction (the bytes of {@link #encode}).
 *
 * <p>Versions: a written entity's version is the LSN of the commit, which is known only once the
 * commit returned. So the response is a template: the entities the transaction wrote have
 * {@code "version": null} in the body (and {@code "lsn": null} for a transaction), and header values
 * hold {@value #VERSION_TOKEN}. {@link #render} fills both with the commit LSN. The first answer and
 * every replay are rendered the same way from the same template, so they are byte for byte equal.
 *
 * <p>Format (version 1), compact and self-describing:
 * <pre>
 * u8  format version (1)
 * u16 status
 * u8  header count, then per header: name and value (DataOutput.writeUTF)
 * u8  1 when the body holds version placeholders, else 0
 * ... body bytes (UTF-8 JSON, possibly empty) to the end
 * </pre>
 *
 * Immutable.
 */
final class StoredResponse {
    static final String VERSION_TOKEN = "{version}";
    static final String JSON_TYPE = "application/json";
    private static final int FORMAT = 1;
    /** Reads templates the server wrote itself: no limits beyond those its requests had already passed. */
    private static final ObjectMapper TEMPLATES = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE)
                    .maxNestingDepth(Integer.MAX_VALUE).build()).build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final int status;
    private final List<String[]> headers;
    private final boolean placeholders;
    private final byte[] body;

    private StoredResponse(int status, List<String[]> headers, boolean placeholders, byte[] body) {
        this.status = status;
        this.headers = List.copyOf(headers);
        this.placeholders = placeholders;
        this.body = body;
    }

    /** A written (or read) entity: its JSON, ETag, and for 201 a Location. */
    static StoredResponse entity(int status, ObjectNode entity) {
        List<String[]> h = new ArrayList<>();
        h.add(new String[] {"Content-Type", JSON_TYPE});
        JsonNode version = entity.get("version");
        h.add(new String[] {"ETag", "\"" + (version.isNull() ? VERSION_TOKEN : version.asText()) + "\""});
        if (status == 201) {
            h.add(new String[] {"Location", "/v1/entities/" + entity.get("type").asText() + "/"
                    + entity.get("id").asLong()});
        }
        return new StoredResponse(status, h, version.isNull(), bytes(entity));
    }

    /** A JSON body that may hold placeholders ({@code lsn}, {@code results[].entity.version}). */
    static StoredResponse json(int status, ObjectNode body) {
        return new StoredResponse(status, List.<String[]>of(new String[] {"Content-Type", JSON_TYPE}), true,
                bytes(body));
    }

    /** 204 without a body. */
    static StoredResponse noContent() {
        return new StoredResponse(204, List.of(), false, new byte[0]);
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return TEMPLATES.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int status() {
        return status;
    }

    /** The value of header {@code name}, or null. */
    String header(String name) {
        return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst().orElse(null);
    }

    byte[] body() {
        return body.clone();
    }

    /** The response with every version placeholder replaced by {@code commitLsn}. */
    StoredResponse render(long commitLsn) {
        List<String[]> h = new ArrayList<>();
        for (String[] header : headers) {
            h.add(new String[] {header[0], header[1].replace(VERSION_TOKEN, Long.toString(commitLsn))});
        }
        if (!placeholders || body.length == 0) {
            return new StoredResponse(status, h, false, body);
        }
        try {
            JsonNode tree = TEMPLATES.readTree(body);
            fill(tree, commitLsn);
            JsonNode results = tree.get("results");
            if (results != null && results.isArray()) {
                for (JsonNode r : results) {
                    fill(r.get("entity"), commitLsn);
                }
            }
            return new StoredResponse(status, h, false, TEMPLATES.writeValueAsBytes(tree));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void fill(JsonNode node, long commitLsn) {
        if (node instanceof ObjectNode o) {
            for (String member : new String[] {"version", "lsn"}) {
                JsonNode v = o.get(member);
                if (v != null && v.isNull()) {
                    o.put(member, commitLsn);
                }
            }
        }
    }

    /** Sends this response; {@code replayed} adds {@code Idempotent-Replayed: true}. */
    void send(Context ctx, boolean replayed) {
        ctx.status(status);
        for (String[] header : headers) {
            if (header[0].equalsIgnoreCase("Content-Type")) {
                ctx.contentType(header[1]);
            } else {
                ctx.header(header[0], header[1]);
            }
        }
        if (replayed) {
            ctx.header("Idempotent-Replayed", "true");
        }
        ctx.result(body);
    }

    /** The stored form; see the class comment. */
    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.length + 64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeShort(status);
            out.writeByte(headers.size());
            for (String[] header : headers) {
                out.writeUTF(header[0]);
                out.writeUTF(header[1]);
            }
            out.writeByte(placeholders ? 1 : 0);
            out.write(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes {@link #encode}'s bytes.
     *
     * @throws IllegalStateException the bytes are not a stored response of a known format version
     */
    static StoredResponse decode(byte[] stored) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(stored))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new IllegalStateException("stored idempotent response has format version " + format + "; this"
                        + " server reads version " + FORMAT + " (written by a newer server?)");
            }
            int status = in.readUnsignedShort();
            int count = in.readUnsignedByte();
            List<String[]> headers = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                headers.add(new String[] {in.readUTF(), in.readUTF()});
            }
            boolean placeholders = in.readUnsignedByte() == 1;
            byte[] body = in.readAllBytes();
            return new StoredResponse(status, headers, placeholders, body);
        } catch (IOException e) {
            throw new IllegalStateException("stored idempotent response is truncated (" + stored.length + " bytes): "
                    + e, e);
        }
    }

    @Override
    public String toString() {
        return "StoredResponse[" + status + " " + headers.stream().map(Arrays::toString).toList() + " "
                + body.length + " bytes]";
    }
}
