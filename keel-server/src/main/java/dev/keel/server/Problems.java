package dev.keel.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.ConflictException;
import dev.keel.ConstraintViolationException;
import dev.keel.DatabaseClosedException;
import dev.keel.DatabaseFailedException;
import dev.keel.EntityNotFoundException;
import dev.keel.IdempotencyKeyException;
import dev.keel.KeelException;
import dev.keel.MigrationException;
import dev.keel.ReadOnlyException;
import dev.keel.SchemaMismatchException;
import dev.keel.StorageException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns failures into RFC 9457 problem documents. Every error the server sends has this shape:
 *
 * <pre>
 * HTTP/1.1 409 Conflict
 * Content-Type: application/problem+json
 *
 * {"type":"https://keeldb.dev/problems/reference-restrict","title":"Still referenced","status":409,
 *  "detail":"Company.3 is still referenced ...","instance":"/v1/entities/Company/3",
 *  "code":"reference-restrict", ...extension members}
 * </pre>
 *
 * Stable codes (the {@code code} member, also the last segment of {@code type}); clients branch on
 * these, never on {@code detail}:
 *
 * <pre>
 * 400 bad-request, invalid-field, invalid-json, unknown-field, invalid-cursor, invalid-schema
 * 401 unauthorized            403 forbidden
 * 404 not-found, unknown-type, entity-not-found
 * 405 method-not-allowed      413 body-too-large
 * 409 conflict, unique-violation, reference-restrict, read-only, idempotency-in-progress,
 *     schema-managed-by-file, ids-exhausted (an explicit id at the top of the range left a type no id to assign)
 * 412 version-mismatch        415 unsupported-media-type
 * 422 constraint-violation, schema-incompatible, idempotency-key-reused
 * 500 internal                503 not-ready, shutting-down, storage-failed, timeout
 * </pre>
 */
public final class Problems {
    public static final String MEDIA_TYPE = "application/problem+json";
    static final String TYPE_BASE = "https://keeldb.dev/problems/";
    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

    private Problems() {
    }

    /** The problem for any failure a handler let through. */
    public static ApiException of(Throwable e) {
        if (e instanceof ApiException a) {
            return a;
        }
        if (e instanceof HttpResponseException h) {
            return fromJavalin(h);
        }
        if (e instanceof KeelException k) {
            return fromKeel(k);
        }
        if (e instanceof IllegalArgumentException) {
            // The core API's answer to a bad argument (a value of the wrong type, a bad query).
            return ApiException.badRequest(e.getMessage());
        }
        LOG.error("internal error", e);
        return new ApiException(500, "internal", "Internal error",
                "the server failed unexpectedly (" + e.getClass().getSimpleName() + "); the error is in its log. Nothing"
                        + " of a write that got this answer was acknowledged; retry it, with the same Idempotency-Key"
                        + " if it had one");
    }

    private static ApiException fromJavalin(HttpResponseException h) {
        return switch (h.getStatus()) {
            case 413 -> new ApiException(413, "body-too-large", "Body too large", "the request body is larger than"
                    + " this server accepts; send less (see the server's --max-body-bytes)");
            case 405 -> new ApiException(405, "method-not-allowed", "Method not allowed", h.getMessage());
            case 404 -> ApiException.notFound(h.getMessage());
            default -> new ApiException(h.getStatus(), "bad-request", "Bad request", h.getMessage());
        };
    }

    private static ApiException fromKeel(KeelException k) {
        if (k instanceof IdempotencyKeyException i) {
            return switch (i.reason()) {
                case IN_PROGRESS -> new ApiException(409, "idempotency-in-progress", "Request in progress",
                        k.getMessage()).header("Retry-After", "1");
                case REUSED_WITH_DIFFERENT_REQUEST -> new ApiException(422, "idempotency-key-reused",
                        "Idempotency key reused", k.getMessage());
            };
        }
        if (k instanceof EntityNotFoundException) {
            return new ApiException(404, "entity-not-found", "Entity not found", k.getMessage());
        }
        if (k instanceof ConstraintViolationException c) {
            ApiException a = switch (c.rule()) {
                case "unique", "id" -> new ApiException(409, "unique-violation", "Value already taken", c.getMessage());
                case "restrict" -> new ApiException(409, "reference-restrict", "Still referenced", c.getMessage())
                        .with("referrers", c.conflictingIds());
                case "unknown-field" -> new ApiException(400, "unknown-field", "Unknown field", c.getMessage());
                default -> new ApiException(422, "constraint-violation", "Constraint violated", c.getMessage());
            };
            a.with("entityType", c.type()).with("field", c.field()).with("rule", c.rule());
            if (c.value() != null) {
                a.with("value", c.value());
            }
            if (!c.conflictingIds().isEmpty() && !a.members().containsKey("referrers")) {
                a.with("conflictingIds", c.conflictingIds());
            }
            return a;
        }
        if (k instanceof ConflictException) {
            return new ApiException(409, "conflict", "Conflict", k.getMessage()
                    + " (the write was retried and still conflicted; retry it)");
        }
        if (k instanceof SchemaMismatchException s) {
            return new ApiException(422, "schema-incompatible", "Schema incompatible", k.getMessage())
                    .with("problems", s.problems());
        }
        if (k instanceof MigrationException m) {
            return new ApiException(422, "schema-incompatible", "Schema incompatible", k.getMessage())
                    .with("problems", m.problems());
        }
        if (k instanceof ReadOnlyException) {
            return new ApiException(409, "read-only", "Database is read-only", k.getMessage());
        }
        if (k instanceof DatabaseClosedException) {
            return new ApiException(503, "shutting-down", "Shutting down", k.getMessage()).header("Retry-After", "5");
        }
        if (k instanceof DatabaseFailedException || k instanceof StorageException) {
            LOG.error("storage failure", k);
            return new ApiException(503, "storage-failed", "Storage failed", k.getMessage()
                    + ". The write was not acknowledged; the server must be restarted (acknowledged writes are kept)");
        }
        LOG.error("unexpected database error", k);
        return new ApiException(500, "internal", "Internal error", k.getMessage());
    }

    /** Writes {@code e} as the response. */
    public static void write(Context ctx, ApiException e, ObjectMapper json) {
        ObjectNode body = json.createObjectNode();
        body.put("type", TYPE_BASE + e.code());
        body.put("title", e.title());
        body.put("status", e.status());
        body.put("detail", e.detail());
        body.put("instance", ctx.path());
        body.put("code", e.code());
        e.members().forEach((k, v) -> body.set(k, json.valueToTree(v)));
        e.headers().forEach(ctx::header);
        ctx.status(e.status()).contentType(MEDIA_TYPE).result(body.toString());
    }
}
