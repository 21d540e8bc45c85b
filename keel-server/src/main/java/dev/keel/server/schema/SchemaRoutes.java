package dev.keel.server.schema;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.EntityType;
import dev.keel.KeelDb;
import dev.keel.KeelException;
import dev.keel.MigrationException;
import dev.keel.SchemaChangePlan;
import dev.keel.SchemaMismatchException;
import dev.keel.server.ApiException;
import dev.keel.server.DatabaseHolder;
import dev.keel.server.RouteModule;
import dev.keel.server.ServerContext;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code GET /v1/schema} and {@code PUT /v1/schema}: the schema of the open database as a
 * {@link SchemaDocument}, and changing it.
 *
 * <p>A PUT applies the document through the Migrate phase, exactly as opening with the Java API
 * declaring those types ({@link DatabaseHolder#reopen}): added types and fields, dropped fields,
 * renames, widened types, changed rules and indexes; existing data is checked against tightened
 * rules and new unique indexes. Types stored but not in the document stay as they are (a type cannot
 * be dropped). Steps:
 *
 * <ol>
 *   <li>{@link KeelDb#planSchema} on the open database: its problems (an incompatible change) are
 *       answered 422 {@code schema-incompatible} with {@code problems} at once, and an empty plan 200
 *       with no changes, both without reopening;</li>
 *   <li>otherwise {@link DatabaseHolder#reopen} applies it; when the open refuses it (data breaking a
 *       new rule or unique index, which only the open checks) the previous schema is opened again and
 *       the answer is 422 with the exception's problems;</li>
 *   <li>on success, 200 {@code {"changes":[...],"schema":{...}}} with the plan's changes and the
 *       schema the database now reports.</li>
 * </ol>
 *
 * <p>A server started with a schema file refuses PUT with 409 {@code schema-managed-by-file}: the
 * file is applied at every start and would undo the change.
 *
 * <p>Ordering: schema changes run one at a time (a second PUT waits for the first, up to the request
 * timeout). Each reads the current schema and plans under the holder's read lock, then reopens, which
 * takes its write lock: requests in flight finish first, new ones wait and then run against the new
 * schema, so no acknowledged write is lost or sees a half-applied schema. The schema read before the
 * reopen is also the one restored if the reopen fails, which is why the steps are under one lock.
 */
public final class SchemaRoutes implements RouteModule {
    private final ReentrantLock changes = new ReentrantLock();

    @Override
    public void register(JavalinConfig config, ServerContext context) {
        SchemaDocument document = new SchemaDocument(context.json());
        config.routes.get("/v1/schema", ctx -> {
            List<EntityType> types = context.database().withDatabase(KeelDb::schema);
            respond(ctx, context, document.toTree(types));
        });
        config.routes.put("/v1/schema", ctx -> put(ctx, context, document));
    }

    private void put(Context ctx, ServerContext context, SchemaDocument document) throws Exception {
        if (context.config().schemaFile() != null) {
            // The file is applied at every start: a change made here and not in the file would be undone
            // at the next restart, and a field added here would be dropped with its values.
            throw new ApiException(409, "schema-managed-by-file", "Schema managed by a file", "this server applies"
                    + " the schema file " + context.config().schemaFile() + " at every start, so a change made"
                    + " through PUT /v1/schema would be undone (and fields it added dropped with their values) at the"
                    + " next restart. Edit the file and restart the server, or start it without --schema to manage"
                    + " the schema through this endpoint");
        }
        SchemaDocument.Format format = SchemaDocument.Format.ofMediaType(ctx.contentType()).orElseThrow(() ->
                new ApiException(415, "unsupported-media-type", "Unsupported media type", "a schema document is"
                        + " sent as Content-Type: application/json or application/yaml (also application/x-yaml,"
                        + " text/yaml), not " + Optional.ofNullable(ctx.contentType()).orElse("none")));
        List<EntityType> declared;
        try {
            declared = document.read(ctx.bodyAsBytes(), format, "the request body");
        } catch (SchemaDocumentException e) {
            throw invalid(e);
        }
        if (!changes.tryLock(context.config().requestTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            throw new ApiException(503, "timeout", "Busy", "another schema change is being applied and took longer"
                    + " than the request timeout; retry shortly").header("Retry-After", "1");
        }
        try {
            DatabaseHolder holder = context.database();
            Current current = holder.withDatabase(db -> new Current(db.schema(), db.planSchema(declared)));
            SchemaChangePlan plan = current.plan();
            if (!plan.compatible()) {
                throw incompatible(plan.problems(), false, null);
            }
            if (plan.changes().isEmpty()) {
                respond(ctx, context, result(context, List.of(), document.toTree(current.schema())));
                return;
            }
            try {
                holder.reopen(declared, current.schema());
            } catch (SchemaMismatchException e) {
                throw incompatible(e.problems(), false, e);
            } catch (MigrationException e) {
                throw incompatible(e.problems(), true, e);
            }
            List<EntityType> after = holder.withDatabase(KeelDb::schema);
            respond(ctx, context, result(context, plan.changes(), document.toTree(after)));
        } finally {
            changes.unlock();
        }
    }

    /** The schema and the plan, read together under the holder's read lock. */
    private record Current(List<EntityType> schema, SchemaChangePlan plan) {
    }

    private static ObjectNode result(ServerContext context, List<String> changes, ObjectNode schema) {
        ObjectNode body = context.json().createObjectNode();
        ArrayNode list = body.putArray("changes");
        changes.forEach(list::add);
        body.set("schema", schema);
        return body;
    }

    private static void respond(Context ctx, ServerContext context, ObjectNode body) throws Exception {
        ctx.status(200).contentType("application/json").result(context.json().writeValueAsString(body));
    }

    /** 400 {@code invalid-schema}: {@code path} of the first error, {@code errors} all of them. */
    private static ApiException invalid(SchemaDocumentException e) {
        List<Map<String, String>> errors = e.errors().stream()
                .map(err -> Map.of("path", err.path(), "message", err.message())).toList();
        return new ApiException(400, "invalid-schema", "Invalid schema document", e.getMessage())
                .with("path", e.errors().get(0).path()).with("errors", errors);
    }

    /**
     * 422 {@code schema-incompatible}: keel-core refused the change (planning, or the open for
     * {@code cause}); nothing was changed.
     *
     * @param dataBreaksRules whether the problems are entities breaking a new rule (a failed migration)
     */
    private static ApiException incompatible(List<String> problems, boolean dataBreaksRules, KeelException cause) {
        List<String> listed = problems.isEmpty() && cause != null ? List.of(cause.getMessage()) : problems;
        String fix = dataBreaksRules && !problems.isEmpty()
                ? "existing entities break a rule the document adds (at most the first ten are listed): fix the data"
                        + " under the current schema, or relax the rule, then PUT again"
                : "change the document as each problem says, then PUT again";
        return new ApiException(422, "schema-incompatible", "Schema incompatible", "the schema was not changed and"
                + " the database serves its previous schema (GET /v1/schema): " + listed.size() + " problem"
                + (listed.size() == 1 ? "" : "s") + ", listed in problems; " + fix, cause).with("problems", listed);
    }
}
