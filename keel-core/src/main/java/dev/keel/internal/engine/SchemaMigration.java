package dev.keel.internal.engine;

import dev.keel.ConstraintViolationException;
import dev.keel.MigrationException;
import dev.keel.MigrationStep;
import dev.keel.internal.codec.ByteWriter;
import dev.keel.internal.entity.EntityCodec;
import dev.keel.internal.entity.Schema;
import dev.keel.internal.entity.SchemaCodec;
import dev.keel.internal.entity.StoredType;
import dev.keel.internal.store.Store;
import dev.keel.internal.wal.WalRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of a schema migration that runs in WARMUP, after the migration committed: user-defined
 * {@link MigrationStep}s.
 *
 * <p>Ordering: MIGRATE plans the migration ({@code SchemaPlanner}) and converts the checkpoint's
 * entities in memory; RECOVER converts replayed records written under older versions and, before
 * it repairs anything, checks the data of every type whose rules tightened
 * ({@code MigrationCheck}); then the engine appends the new schema as a SCHEMA record (the commit
 * point); then {@link #runSteps} runs the steps.
 *
 * <p>Durability: nothing is written before the SCHEMA record is durable, so a crash or a failed
 * validation before it leaves the old schema and the next open migrates again. Each step batch is
 * one transaction holding the entities' new values and the schema with the step's progress (the
 * last id done, "done" with the last batch), so a crash resumes the step after the last committed
 * batch and no entity gets the function's result committed twice.
 */
final class SchemaMigration {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigration.class);
    /** What {@link #runSteps} needs of the engine; open path only (nothing else commits meanwhile). */
    interface Committer {
        Store head();

        /** The LSN the next transaction of {@code records} records gets as its commit LSN. */
        long nextCommitLsn(int records);

        /**
         * Runs {@code check} on the version {@code batch} produces, then appends the transaction, waits
         * until durable and installs that version as the head.
         */
        void commit(List<WalRecord> records, Store.Batch batch, long commitLsn,
                java.util.function.Consumer<Store> check) throws IOException;
    }

    private SchemaMigration() {
    }

    /** Runs each declared step that has not finished; see {@link MigrationStep}. */
    static void runSteps(Path dir, List<MigrationStep> steps, Committer engine) throws IOException {
        ByteWriter scratch = new ByteWriter(4096);
        for (MigrationStep step : steps) {
            Schema schema = engine.head().schema();
            Schema.StepState state = schema.step(step.name());
            if (state != null && state.done()) {
                continue;
            }
            StoredType t = schema.byName(step.type());
            if (t == null) {
                throw new MigrationException("migration step " + step.name() + " is over type " + step.type()
                        + ", which the database does not have", List.of());
            }
            if (state != null && state.typeId() != t.typeId()) {
                StoredType was = schema.byId(state.typeId());
                throw new MigrationException("migration step " + step.name() + " was started over type "
                        + (was != null ? was.name() : "#" + state.typeId()) + " but is now declared over " + t.name()
                        + ": declare it over the type it started on, or give the new step another name", List.of());
            }
            long last = state == null ? 0 : state.lastId();
            long migrated = 0;
            LOG.info("database {}: migration step {} over {} {} ({} entities)", dir, step.name(), t.name(),
                    last == 0 ? "starting" : "resuming after id " + last, engine.head().count(t.typeId()));
            while (true) {
                Store head = engine.head();
                Store.Cursor c = head.scan(t.typeId(), last + 1);
                List<Long> ids = new ArrayList<>();
                List<byte[]> values = new ArrayList<>();
                boolean more = false;
                while (c.next()) {
                    if (ids.size() == MigrationStep.BATCH_SIZE) {
                        more = true;
                        break;
                    }
                    ids.add(c.id());
                    values.add(c.value());
                }
                long commitLsn = engine.nextCommitLsn(ids.size() + 1);
                Store.Batch batch = head.batch();
                List<WalRecord> records = new ArrayList<>(ids.size() + 1);
                for (int k = 0; k < ids.size(); k++) {
                    long id = ids.get(k);
                    byte[] encoded = apply(step, t, id, values.get(k), commitLsn, scratch);
                    // Type, required and value rules are checked by EntityCodec.encode above;
                    // references and unique values by the commit check below.
                    batch.put(t.typeId(), id, encoded);
                    records.add(new WalRecord.Put(t.typeId(), id, encoded));
                }
                long newLast = ids.isEmpty() ? last : ids.get(ids.size() - 1);
                Schema next = head.schema().withStep(new Schema.StepState(step.name(), t.typeId(), newLast, !more));
                ByteWriter out = new ByteWriter(512);
                SchemaCodec.encode(next, out);
                records.add(new WalRecord.SchemaChange(out.toByteArray()));
                batch.schema(next);
                engine.commit(records, batch, commitLsn, version -> {
                    for (int k = 0; k < ids.size(); k++) {
                        long id = ids.get(k);
                        try {
                            CommitChecks.checkChange(version, t, id, version.get(t.typeId(), id));
                        } catch (dev.keel.ConstraintViolationException e) {
                            throw new MigrationException("migration step " + step.name() + " stopped at " + t.name()
                                    + "#" + id + ": its result " + e.getMessage() + "; nothing of this batch was"
                                    + " written, earlier batches stay done, and the step resumes here once fixed",
                                    List.of(e.getMessage()));
                        }
                    }
                });
                migrated += ids.size();
                last = newLast;
                LOG.info("database {}: migration step {} migrated {} entities of {} (up to id {}){}", dir, step.name(),
                        migrated, t.name(), last, more ? "" : "; done");
                if (!more) {
                    break;
                }
            }
        }
    }

    private static byte[] apply(MigrationStep step, StoredType t, long id, byte[] value, long version,
            ByteWriter scratch) {
        String entity = t.name() + "#" + id;
        Map<String, Object> in = new LinkedHashMap<>(EntityCodec.decodeValues(t, value));
        Map<String, Object> out;
        try {
            out = step.function().apply(in);
        } catch (RuntimeException e) {
            throw stepFailed(step, entity, "the function threw " + e, e);
        }
        if (out == null) {
            throw stepFailed(step, entity, "the function returned null", null);
        }
        try {
            return EntityCodec.encode(t, version, out, scratch);
        } catch (ConstraintViolationException | IllegalArgumentException | ClassCastException e) {
            throw stepFailed(step, entity, "the new value is invalid: " + e.getMessage(), e);
        }
    }

    private static MigrationException stepFailed(MigrationStep step, String entity, String why, Throwable cause) {
        return new MigrationException("migration step " + step.name() + " failed on " + entity + ": " + why
                + ". Batches committed before it stay committed; the next open resumes the step at this entity", cause);
    }
}
