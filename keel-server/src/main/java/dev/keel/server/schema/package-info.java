/**
 * Schema documents and the schema endpoints: {@link dev.keel.server.schema.SchemaDocument} reads and
 * writes entity types as JSON or YAML (the server's {@code --schema} file and the body of
 * {@code PUT /v1/schema}), {@link dev.keel.server.schema.SchemaRoutes} serves {@code GET} and
 * {@code PUT /v1/schema}, applying a changed schema through the Migrate phase. Uses only keel-core's
 * public API.
 */
package dev.keel.server.schema;
